import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import { migrate, startEmbeddedPostgres } from "@probestream/db";
import { closeOnSignals, envFlag, envOptionalCount, envPort, envString, loggerOptions, type ShutdownStep } from "@probestream/service-kit";
import { startDemo } from "./demo.js";
import { startPlatform } from "./platform.js";
import { webhookOptionsFromEnv } from "@probestream/gateway";

/**
 * The embedded default: the whole platform from one command. Embedded PostgreSQL unless
 * DATABASE_URL is set, the in-process bus unless REDIS_URL is set, ingest and gateway in this
 * process, the portal as a child process, and a simulated probe fleet feeding demo measurements.
 */
const log = pino(loggerOptions());
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** Where `npm run keys:create` (packages/db/src/cli/create-key.ts) finds the embedded database. */
const EMBEDDED_URL_FILE = join(root, ".data", "database-url");
/** The key sealing webhook secrets when WEBHOOK_SECRET_KEY is unset: made once, kept beside the data (not in the database). */
const WEBHOOK_KEY_FILE = join(root, ".data", "webhook-secret-key");

function localWebhookKey(): Buffer {
  if (!existsSync(WEBHOOK_KEY_FILE)) {
    mkdirSync(dirname(WEBHOOK_KEY_FILE), { recursive: true });
    writeFileSync(WEBHOOK_KEY_FILE, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  }
  return Buffer.from(readFileSync(WEBHOOK_KEY_FILE, "utf8").trim(), "hex");
}
const FLEET_STOP_MS = 2000;
const CHILD_STOP_MS = 3000;

/** Shutdown steps, run last-started first; each is bounded so that the whole stop is. */
const stops: ShutdownStep[] = [];
let stopping = false;

// SIGTERM and SIGINT stop everything in order; past GRACE_MS the process exits anyway.
const GRACE_MS = 9000;
const stopAll = closeOnSignals(log, () => {
  stopping = true;
  return [...stops].reverse();
}, GRACE_MS);

try {
  let databaseUrl = envString("DATABASE_URL");
  if (!databaseUrl) {
    const dataDir = envString("PROBESTREAM_DATA_DIR") ?? join(root, ".data", "postgres");
    log.info({ dataDir }, "DATABASE_URL is not set: starting embedded PostgreSQL");
    const pg = await startEmbeddedPostgres({ dataDir, port: envPort("EMBEDDED_PG_PORT", 54329) });
    stops.push({ name: "embedded postgres", stop: () => pg.stop() });
    databaseUrl = pg.databaseUrl;
    // Its password is a fixed local one (loopback only), so the file holds no secret.
    mkdirSync(dirname(EMBEDDED_URL_FILE), { recursive: true });
    writeFileSync(EMBEDDED_URL_FILE, `${databaseUrl}\n`, { mode: 0o600 });
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
    retentionDays: envOptionalCount("RESULTS_RETENTION_DAYS"),
    resultsExportDir: envString("RESULTS_EXPORT_DIR"),
    logger: loggerOptions(),
    gatewayPublicUrl: envString("GATEWAY_PUBLIC_URL"),
    gatewayTrustProxy: envFlag("GATEWAY_TRUST_PROXY"),
    webhooks: webhookOptionsFromEnv(envString("WEBHOOK_SECRET_KEY") ? undefined : localWebhookKey()),
  });
  stops.push({ name: "ingest and gateway", stop: () => platform.close() });

  const portalPort = envPort("PORTAL_PORT", 3000);
  const portal = startPortal(portalPort, databaseUrl, platform.gatewayUrl);
  stops.push({ name: "portal", stop: () => stopChild(portal) });

  if (demo) {
    const fleet = await startDemo({
      databaseUrl,
      ingestUrl: platform.ingestUrl,
      adminToken,
      probes: Number(envString("SIM_PROBES") ?? 50),
      rate: Number(envString("SIM_RATE") ?? 20),
      log: (msg) => log.info({ app: "simulator" }, msg),
    });
    // The demo fleet's unacknowledged uploads are not worth holding the stop for long.
    stops.push({ name: "demo fleet", stop: () => Promise.race([fleet.stop(), sleep(FLEET_STOP_MS)]) });
  }

  log.info(
    { portal: `http://localhost:${portalPort}`, gateway: platform.gatewayUrl, ingest: platform.ingestUrl },
    "probestream is up",
  );
  process.stdout.write(
    `\n  probestream is up\n  portal:  http://localhost:${portalPort}\n` +
      `  stream:  ${platform.gatewayUrl.replace("127.0.0.1", "localhost")} (socket.io path /stream/socket.io)\n` +
      `  ingest:  ${platform.ingestUrl.replace("127.0.0.1", "localhost")}\n` +
      `  docs:    ${platform.gatewayUrl.replace("127.0.0.1", "localhost")}/api/v2/docs/ and http://localhost:${portalPort}/docs\n\n` +
      `  your first API key (shown once; sign in with it at http://localhost:${portalPort}/session):\n` +
      `    ${envString("DATABASE_URL") ? "DATABASE_URL=<the same URL> " : ""}npm run keys:create -- --user you --rights all\n\n`,
  );
} catch (err) {
  log.error({ err }, "start-up failed");
  await stopAll();
  process.exit(1);
}

/** `gatewayUrl`: where the portal's server calls the REST API (GATEWAY_INTERNAL_URL). */
function startPortal(port: number, databaseUrl: string, gatewayUrl: string): ChildProcess {
  const require = createRequire(join(root, "apps/portal/package.json"));
  const nextBin = require.resolve("next/dist/bin/next");
  const child = spawn(process.execPath, [nextBin, "start", "-p", String(port)], {
    cwd: join(root, "apps/portal"),
    env: { ...process.env, DATABASE_URL: databaseUrl, GATEWAY_INTERNAL_URL: gatewayUrl, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  child.on("exit", (code, signal) => {
    if (!stopping && code !== 0 && signal === null) log.error({ code }, "portal exited");
  });
  return child;
}

/** SIGTERM, then SIGKILL if the child has not exited after `CHILD_STOP_MS`. */
function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const kill = setTimeout(() => child.kill("SIGKILL"), CHILD_STOP_MS);
    child.once("exit", () => {
      clearTimeout(kill);
      done();
    });
    child.kill("SIGTERM");
  });
}
