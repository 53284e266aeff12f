/**
 * Stream latency: send-to-receive time, p50/p99, at a steady 2,500 results/s (RIPE Atlas's collection
 * rate) with 1,000 socket.io subscribers spread over 50 measurements (each result reaches 20 sockets).
 * Each result carries `bench_sent_ms`, the sender's clock when its batch was posted; a client records
 * its receive time minus that. For probestream that spans the whole path: HTTP post, validation,
 * commit, Redis bus, gateway routing, socket write, client parse.
 * Baseline, same run, same rate, same client fleets: a stock socket.io server fed by a plain Redis
 * PUBLISH → SUBSCRIBE → `io.to(room).emit` path (ioredis), no storage.
 * Both use a private redis-server started on a free loopback port, so no one else's messages mix in.
 *
 * Two layouts, each with its own baseline: `embedded`, every server in the benchmark's process (the
 * standalone platform against the stock server), and `processes`, servers in processes of their own
 * as deployed (ingest and gateway against the stock server), the benchmark process only sending.
 *
 *   npx tsx bench/stream-latency.ts [seconds=30] [rate=2500] [sockets=1000] [layout=both|embedded|processes]
 */
import { spawn } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import pg from "pg";
import { startPlatform } from "@probestream/standalone";
import { createTestDatabase, registerProbe, type TestProbe } from "@probestream/testkit";
import { AppProcess } from "../packages/testkit/src/faults/index.js";
import { ClientFleets, forkStockServer, pingResult, sleep, startStockServer, type Histogram, type Json } from "./stream-harness.js";

const SECONDS = Number(process.argv[2] ?? 30);
const RATE = Number(process.argv[3] ?? 2500);
const SOCKETS = Number(process.argv[4] ?? 1000);
type Layout = "embedded" | "processes";
const LAYOUTS: Layout[] = process.argv[5] === "embedded" || process.argv[5] === "processes" ? [process.argv[5]] : ["embedded", "processes"];
const MEASUREMENTS = 50;
const TICK_MS = 20;
const PER_TICK = Math.round((RATE * TICK_MS) / 1000);
const WARMUP_SECONDS = 3;
const MAX_IN_FLIGHT = 32;
const CLIENT_PROCESSES = 2;
const PROBES = 100;
const ADMIN = "bench";
const MSM_BASE = 4_000_000;
const CHANNEL = "bench:results";

const now = () => performance.timeOrigin + performance.now();
const subscriptions: Json[] = Array.from({ length: SOCKETS }, (_, i) => ({ stream_type: "result", msm: MSM_BASE + (i % MEASUREMENTS) }));
const fanout = (msm: number) => subscriptions.filter((s) => s.msm === msm).length;

interface Outcome {
  latency: Histogram;
  sentPerSecond: number;
  missing: number;
  disconnected: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A throwaway redis-server on loopback, no persistence. */
async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.quit();
      break;
    } catch (e) {
      probe.disconnect();
      if (attempt === 100) throw e;
      await sleep(50);
    }
  }
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/**
 * Sends one batch of PER_TICK results (one per measurement, round-robin) every TICK_MS, stamped
 * with the send time; resets the clients' histograms after warm-up; reports what they measured.
 */
async function drive(url: string, send: (tick: number, results: Json[]) => Promise<void>): Promise<Outcome> {
  const fleets = new ClientFleets(CLIENT_PROCESSES);
  try {
    await fleets.connect(url, subscriptions);
    const ticks = Math.round(((WARMUP_SECONDS + SECONDS) * 1000) / TICK_MS);
    const warmupTicks = Math.round((WARMUP_SECONDS * 1000) / TICK_MS);
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    let expected = 0;
    const start = now();
    let measuredFrom = start;
    for (let tick = 0; tick < ticks && failure === undefined; tick++) {
      if (tick === warmupTicks) {
        fleets.resetLatency();
        measuredFrom = now();
      }
      const wait = start + tick * TICK_MS - now();
      if (wait > 0) await sleep(wait);
      while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      const sentAt = now();
      const results = Array.from({ length: PER_TICK }, (_, k) => {
        const msm = MSM_BASE + ((tick * PER_TICK + k) % MEASUREMENTS);
        expected += fanout(msm);
        return { ...pingResult(6000 + (tick % PROBES), msm, 0), bench_sent_ms: sentAt };
      });
      const sending = send(tick, results).then(
        () => void inFlight.delete(sending),
        (e: unknown) => void (failure = e),
      );
      inFlight.add(sending);
    }
    const sentPerSecond = (PER_TICK * (ticks - Math.round((WARMUP_SECONDS * 1000) / TICK_MS)) * 1000) / (now() - measuredFrom);
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error("a client failed", { cause: failure });
    await fleets.waitFor(expected, 10_000);
    const report = await fleets.report();
    return { latency: report.latency, sentPerSecond, missing: expected - report.received, disconnected: report.disconnected };
  } finally {
    await fleets.close();
  }
}

/** The platform in the chosen layout: its ingest and gateway URLs, and how to stop it. */
async function startProbestream(layout: Layout, databaseUrl: string, redisUrl: string) {
  if (layout === "embedded") {
    const platform = await startPlatform({
      databaseUrl,
      redisUrl,
      gatewayPort: 0,
      ingestPort: 0,
      ingestAdminToken: ADMIN,
      streamLimits: { sessionsPerAddress: SOCKETS + 10 },
    });
    return { ingestUrl: platform.ingestUrl, gatewayUrl: platform.gatewayUrl, stop: () => platform.close() };
  }
  const env = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, LOG_LEVEL: "warn", METRICS_OPEN: "1" };
  const ingest = await AppProcess.start("ingest", { ...env, INGEST_ADMIN_TOKEN: ADMIN });
  const gateway = await AppProcess.start("gateway", { ...env, STREAM_SESSIONS_PER_ADDRESS: String(SOCKETS + 10) }).catch(async (e: unknown) => {
    await ingest.terminate();
    throw e;
  });
  return {
    ingestUrl: ingest.url,
    gatewayUrl: gateway.url,
    stop: async () => void (await Promise.all([ingest.terminate(), gateway.terminate()])),
  };
}

async function runProbestream(layout: Layout, redisUrl: string): Promise<Outcome> {
  const db = await createTestDatabase("bench_latency");
  try {
    const platform = await startProbestream(layout, db.url, redisUrl);
    try {
      const probes: TestProbe[] = [];
      for (let p = 0; p < PROBES; p++) probes.push(await registerProbe(platform.ingestUrl, ADMIN, 6000 + p));
      const t0 = Math.floor(Date.now() / 1000) - 86_400;
      const postgresWaits = await samplePostgresWaits(db.url);
      const outcome = await drive(platform.gatewayUrl, async (tick, results) => {
        // Distinct timestamps within each probe's results keep every result new to the writer's dedup.
        results.forEach((r, k) => (r.timestamp = t0 + Math.floor(tick / PROBES) * PER_TICK + k));
        const probe = probes[tick % PROBES]!;
        const res = await fetch(`${platform.ingestUrl}/probe/results`, {
          method: "POST",
          headers: { authorization: probe.authorization, "content-type": "application/json" },
          body: JSON.stringify(results),
        });
        if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      });
      console.log(`    relay: ${await relaySources(platform.ingestUrl)}`);
      console.log(`    stages: ${await stageTails(platform.ingestUrl, platform.gatewayUrl)}`);
      console.log(`    PostgreSQL: ${await postgresWaits.stop()}`);
      return outcome;
    } finally {
      await platform.stop();
    }
  } finally {
    await db.drop();
  }
}

/** How the relay published: straight from this process's commits, or read back from the log. */
async function relaySources(ingestUrl: string): Promise<string> {
  const text = await (await fetch(`${ingestUrl}/metrics`)).text();
  const count = (source: string) =>
    Number(new RegExp(`ingest_relay_results_published_total\\{[^}]*source="${source}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
  const [commit, log] = [count("commit"), count("log")];
  const share = ((100 * commit) / Math.max(1, commit + log)).toFixed(1);
  return `${commit} results published straight from commits proven final, ${log} read back from the log (${share} % without a read)`;
}

/** Share of a histogram's observations above `seconds` (a bucket bound), from a Prometheus text. */
function shareAbove(text: string, name: string, seconds: string): string {
  const bucket = (le: string) => Number(new RegExp(`^${name}_bucket\\{[^}]*le="${le.replace("+", "\\+")}"[^}]*\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  const all = bucket("+Inf");
  return `${((100 * (all - bucket(seconds))) / Math.max(1, all)).toFixed(2)} %`;
}

/**
 * Where the slow deliveries were: posts slower than 50 ms to commit (ingest: parse, the writer's
 * queue, the statement), commit → socket write slower than 50 ms (relay, bus, gateway), and gap
 * fills (batches the gateway read from storage instead of taking from the bus).
 */
async function stageTails(ingestUrl: string, gatewayUrl: string): Promise<string> {
  const metricsOf = async (url: string) => (await fetch(`${url}/metrics`)).text();
  const [ingest, gateway] = await Promise.all([metricsOf(ingestUrl), metricsOf(gatewayUrl)]);
  const gapFills = Number(/^gateway_bus_gap_fills_total(?:\{[^}]*\})? (\d+)/m.exec(gateway)?.[1] ?? 0);
  return (
    `post → commit over 50 ms: ${shareAbove(ingest, "ingest_batch_store_seconds", "0.05")} of batches; ` +
    `commit → send over 50 ms: ${shareAbove(gateway, "gateway_commit_to_send_seconds", "0.05")} of results; gap fills: ${gapFills}`
  );
}

/**
 * What PostgreSQL made the live path wait for, sampled every 10 ms from pg_stat_activity:
 * - statements of the benchmark's database caught waiting for the WAL to reach the disk: a commit is
 *   acknowledged only once its WAL is flushed, so a slow flush holds every result behind it, while
 *   the baseline stores nothing;
 * - write transactions anywhere in the cluster open longer than 30 ms: transaction ids are the
 *   cluster's, and the relay publishes a commit once every older transaction has ended.
 * Each is reported as how many lasted longer than 20 ms (30 ms) and the longest, from its start to
 * the last sample that saw it (a lower bound).
 */
async function samplePostgresWaits(databaseUrl: string): Promise<{ stop(): Promise<string> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const walWaits = new Map<string, number>();
  const openWrites = new Map<string, { ms: number; where: string }>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ key: string; wal_ms: number | null; open_ms: number | null; db: string; query: string }>(
        `SELECT pid || ':' || query_start AS key,
                CASE WHEN datname = current_database() AND wait_event IN ('WALSync', 'WALWrite')
                     THEN (extract(epoch FROM clock_timestamp() - query_start) * 1000)::float8 END AS wal_ms,
                CASE WHEN backend_xid IS NOT NULL AND clock_timestamp() - xact_start > interval '30 ms'
                     THEN (extract(epoch FROM clock_timestamp() - xact_start) * 1000)::float8 END AS open_ms,
                CASE WHEN datname = current_database() THEN 'this database' ELSE 'another database' END AS db, left(query, 60) AS query
         FROM pg_stat_activity WHERE pid <> pg_backend_pid()
           AND ((datname = current_database() AND wait_event IN ('WALSync', 'WALWrite'))
                OR (backend_xid IS NOT NULL AND clock_timestamp() - xact_start > interval '30 ms'))`,
      );
      for (const r of rows) {
        if (r.wal_ms !== null) walWaits.set(r.key, Math.max(walWaits.get(r.key) ?? 0, r.wal_ms));
        if (r.open_ms !== null && r.open_ms > (openWrites.get(r.key)?.ms ?? 0)) openWrites.set(r.key, { ms: r.open_ms, where: `${r.db}: ${r.query}` });
      }
      await sleep(10);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      const wal = [...walWaits.values()];
      const longestOpen = [...openWrites.values()].sort((a, b) => b.ms - a.ms)[0];
      return (
        `statements waiting on the WAL flush: ${wal.filter((ms) => ms > 20).length} over 20 ms, the longest ${Math.max(0, ...wal).toFixed(0)} ms; ` +
        `write transactions open over 30 ms: ${openWrites.size}` +
        (longestOpen ? `, the longest ${longestOpen.ms.toFixed(0)} ms (${longestOpen.where.replace(/\s+/g, " ")})` : "")
      );
    },
  };
}

async function runStock(layout: Layout, redisUrl: string): Promise<Outcome> {
  const feed = { redisUrl, channel: CHANNEL };
  const server = layout === "embedded" ? await startStockServer(feed) : await forkStockServer(feed);
  const publisher = new Redis(redisUrl);
  try {
    const storedTimestamp = Math.floor(Date.now() / 1000);
    return await drive(server.url, async (_tick, results) => {
      await Promise.all(results.map((r) => publisher.publish(CHANNEL, JSON.stringify({ ...r, stored_timestamp: storedTimestamp }))));
    });
  } finally {
    await publisher.quit();
    await ("close" in server ? server.close() : server.stop());
  }
}

function describe(label: string, o: Outcome): string {
  const notes = [`${o.latency.count} deliveries at ${o.sentPerSecond.toFixed(0)} results/s sent`];
  if (o.missing > 0) notes.push(`${o.missing} NOT DELIVERED`);
  if (o.disconnected > 0) notes.push(`${o.disconnected} sockets disconnected`);
  const ms = (p: number) => `${o.latency.percentile(p).toFixed(1)} ms`.padStart(9);
  return `  ${label.padEnd(38)} p50 ${ms(50)}  p99 ${ms(99)}  max ${ms(100)}  (${notes.join(", ")})`;
}

let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
try {
  redis = await startRedis();
  console.log(
    `${RATE} results/s (${PER_TICK} every ${TICK_MS} ms) over ${MEASUREMENTS} measurements, ${SOCKETS} socket.io subscribers ` +
      `in ${CLIENT_PROCESSES} processes (${SOCKETS / MEASUREMENTS} per measurement), ${SECONDS} s measured after ${WARMUP_SECONDS} s warm-up`,
  );
  for (const layout of LAYOUTS) {
    console.log(layout === "embedded" ? "embedded: servers in the benchmark's process" : "processes: servers in processes of their own");
    const stock = await runStock(layout, redis.url);
    console.log(describe("baseline Redis PUBLISH → stock socket.io", stock));
    const ours = await runProbestream(layout, redis.url);
    console.log(describe("probestream post → commit → Redis → gateway", ours));
    const ratio = (p: number) => (ours.latency.percentile(p) / stock.latency.percentile(p)).toFixed(2);
    console.log(`  ratio probestream / baseline: p50 ${ratio(50)}  p99 ${ratio(99)}`);
  }
} finally {
  await redis?.stop();
}
