/**
 * RIPE Atlas scale: a simulated fleet of 8,200 probes (each with its socket.io session to the
 * controller) producing 2,500 results/s of all six types through the real ingest API, with one
 * streaming subscriber on everything. The fleet runs as its own process (the simulator's CLI), as it
 * would against a real deployment; ingest and gateway share this one. Prints what was stored and streamed per second against the
 * rate the fleet was asked for (the reference's figure), measured in the same run.
 *
 *   npx tsx bench/fleet-scale.ts [probes=8200] [rate=2500] [seconds=60] [batchMs=5000]
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { io } from "socket.io-client";
import pg from "pg";
import { startPlatform } from "@probestream/standalone";
import { createTestDatabase } from "@probestream/testkit";

const PROBES = Number(process.argv[2] ?? 8200);
const RATE = Number(process.argv[3] ?? 2500);
const SECONDS = Number(process.argv[4] ?? 60);
const BATCH_MS = Number(process.argv[5] ?? 5000);
const ADMIN = "bench";

const db = await createTestDatabase("bench_fleet");
const platform = await startPlatform({ databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN });
try {
  let streamed = 0;
  const watcher = io(platform.gatewayUrl, { path: "/stream/socket.io", transports: ["websocket"] });
  watcher.on("atlas_result", (payload: unknown) => (streamed += Array.isArray(payload) ? payload.length : 1));
  await new Promise((resolve) => {
    watcher.once("atlas_subscribed", resolve);
    watcher.emit("atlas_subscribe", { stream_type: "result", buffering: true });
  });

  const fleet = spawn(process.execPath, [fileURLToPath(new URL("../apps/simulator/dist/main.js", import.meta.url))], {
    env: {
      ...process.env, INGEST_URL: platform.ingestUrl, INGEST_ADMIN_TOKEN: ADMIN,
      SIM_PROBES: String(PROBES), SIM_RATE: String(RATE), SIM_BATCH_MS: String(BATCH_MS),
      SIM_MEASUREMENTS: "1791207:ping:k.root-servers.net,1791208:traceroute:www.ripe.net,1791209:dns:k.root-servers.net,1791210:sslcert:www.ripe.net,1791211:ntp:ntp.ripe.net,1791212:http:http://www.ripe.net/",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const pool = new pg.Pool({ connectionString: db.url });
  const scalar = async (sql: string) => Number((await pool.query<{ n: string }>(sql)).rows[0]!.n);
  const started = Date.now();
  // Warm-up: until every probe's session is open (or two minutes have passed).
  while (Date.now() - started < 120_000 && (await scalar("SELECT count(*) AS n FROM probes WHERE status = 1")) < PROBES) {
    await new Promise((r) => setTimeout(r, 1000));
  }
  const connectedAfter = (Date.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 2 * BATCH_MS));
  const stored0 = await scalar("SELECT count(*) AS n FROM results");
  const streamed0 = streamed;
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const elapsed = (Date.now() - t0) / 1000;
  const storedRate = ((await scalar("SELECT count(*) AS n FROM results")) - stored0) / elapsed;
  const streamedRate = (streamed - streamed0) / elapsed;
  const connected = await scalar("SELECT count(*) AS n FROM probes WHERE status = 1");
  console.log(`${PROBES} probes, asked for ${RATE} results/s, uploads every ${BATCH_MS} ms; measured over ${elapsed.toFixed(0)} s`);
  console.log(`sessions connected: ${connected} of ${PROBES} (all open after ${connectedAfter.toFixed(0)} s)`);
  console.log(`stored   ${storedRate.toFixed(0).padStart(6)} results/s   ratio to the rate asked: ${(storedRate / RATE).toFixed(2)}`);
  console.log(`streamed ${streamedRate.toFixed(0).padStart(6)} results/s   ratio to stored: ${(streamedRate / storedRate).toFixed(2)}`);
  await new Promise((resolve) => {
    fleet.once("exit", resolve);
    fleet.kill("SIGTERM");
  });
  await pool.end();
  watcher.close();
} finally {
  await platform.close();
  await db.drop();
}
