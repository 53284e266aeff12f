import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { migrate, startEmbeddedPostgres } from "@probestream/db";
import { envFlag, envPort, envString, loggerOptions } from "@probestream/service-kit";
import { startDemo } from "./demo.js";
import { startPlatform } from "./platform.js";

/**
 * The embedded default: the whole platform from one command. Embedded PostgreSQL unless
 * DATABASE_URL is set, the in-process bus unless REDIS_URL is set, ingest and gateway in this
 * process, the portal as a child process, and a simulated probe fleet feeding demo measurements.
 */
const log = pino(loggerOptions());
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const stops: Array<() => Promise<unknown>> = [];
async function shutdown(code: number): Promise<never> {
  for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.error({ err }, "shutdown step failed"));
  process.exit(code);
}
process.once("SIGINT", () => void shutdown(0));
process.once("SIGTERM", () => void shutdown(0));

try {
  let databaseUrl = envString("DATABASE_URL");
  if (!databaseUrl) {
    const dataDir = envString("PROBESTREAM_DATA_DIR") ?? join(root, ".data", "postgres");
    log.info({ dataDir }, "DATABASE_URL is not set: starting embedded PostgreSQL");
    const pg = await startEmbeddedPostgres({ dataDir, port: envPort("EMBEDDED_PG_PORT", 54329) });
    stops.push(() => pg.stop());
    databaseUrl = pg.databaseUrl;
  }
  await migrate(databaseUrl, (msg) => log.info(msg));

  const demo = envString("PROBESTREAM_DEMO") !== "0";
  const adminToken = envString("INGEST_ADMIN_TOKEN") ?? randomBytes(24).toString("base64url");
  const platform = await startPlatform({
    databaseUrl,
    redisUrl: envString("REDIS_URL"),
    // Loopback unless told otherwise (HOST=0.0.0.0 serves other machines); browsers on this one reach it as localhost.
    host: envString("HOST") ?? "127.0.0.1",
    gatewayPort: envPort("GATEWAY_PORT", 8080),
    ingestPort: envPort("INGEST_PORT", 8081),
    ingestAdminToken: adminToken,
    controller: envString("INGEST_CONTROLLER_NAME") ?? "ctr-local",
    maxResultAgeDays: Number(envString("INGEST_MAX_RESULT_AGE_DAYS") ?? 30),
    logger: loggerOptions(),
    gatewayPublicUrl: envString("GATEWAY_PUBLIC_URL"),
    gatewayTrustProxy: envFlag("GATEWAY_TRUST_PROXY"),
  });
  stops.push(() => platform.close());

  const portalPort = envPort("PORTAL_PORT", 3000);
  const portal = startPortal(portalPort, databaseUrl);
  stops.push(() => stopChild(portal));

  if (demo) {
    const fleet = await startDemo({
      databaseUrl,
      ingestUrl: platform.ingestUrl,
      adminToken,
      probes: Number(envString("SIM_PROBES") ?? 50),
      rate: Number(envString("SIM_RATE") ?? 20),
      log: (msg) => log.info({ app: "simulator" }, msg),
    });
    stops.push(() => fleet.stop());
  }

  log.info(
    { portal: `http://localhost:${portalPort}`, gateway: platform.gatewayUrl, ingest: platform.ingestUrl },
    "probestream is up",
  );
  process.stdout.write(
    `\n  probestream is up\n  portal:  http://localhost:${portalPort}\n` +
      `  stream:  ${platform.gatewayUrl.replace("127.0.0.1", "localhost")} (socket.io path /stream/socket.io)\n` +
      `  ingest:  ${platform.ingestUrl.replace("127.0.0.1", "localhost")}\n\n`,
  );
} catch (err) {
  log.error({ err }, "start-up failed");
  await shutdown(1);
}

function startPortal(port: number, databaseUrl: string): ChildProcess {
  const require = createRequire(join(root, "apps/portal/package.json"));
  const nextBin = require.resolve("next/dist/bin/next");
  const child = spawn(process.execPath, [nextBin, "start", "-p", String(port)], {
    cwd: join(root, "apps/portal"),
    env: { ...process.env, DATABASE_URL: databaseUrl, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  child.on("exit", (code, signal) => {
    if (code !== 0 && signal === null) log.error({ code }, "portal exited");
  });
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once("exit", () => done());
    child.kill("SIGTERM");
  });
}
