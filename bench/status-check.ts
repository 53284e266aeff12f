/**
 * Status checks and alert streams under load (issue 15).
 *
 * Ingest and gateway run as an operator runs them: each in its own process, joined by a private
 * redis-server, on a throwaway database. A ping measurement with 1,024 probes, each with a stored
 * history (50 results). Then, for `seconds`:
 * ingest at `rate` results/s (batches of 50 from one probe at a time, each probe's batch alternately
 * all lost and healthy, so that every batch flips that probe's alert), while
 * - a client polls `GET /api/v2/measurements/<id>/status-check/?lookback=10`, one request at a time,
 *   from a process of its own (http-poller.ts), as a monitoring system does: this process generates
 *   the load and parses both streams, and its event loop's lag is not the server's answer time (this
 *   process also runs at nice 10, below the platform and the poller);
 * - one socket.io client holds an `alert` stream and one a `result` stream of the measurement.
 *
 * Figures, with baselines from the same run:
 * - status check p50/p99 under ingest (the gateway keeps a polled status check current on the live
 *   path, so polls after the first answer from memory), against the same request on the idle
 *   platform, against computing it from storage (packages/db `newestResultsPerProbe` + the fold, in
 *   this process, idle database), and against the simplest REST request (`GET
 *   /api/v2/measurements/<id>/`) made alternately with it under the same ingest;
 * - post → event latency of the alert stream (the batch's post time to the `atlas_alert` it caused)
 *   against the result stream's (post time to `atlas_result`) in the same run: both span post,
 *   commit, relay, bus and gateway; and the figure, commit → send, from the gateway's own
 *   histograms (`gateway_alert_commit_to_send_seconds` against `gateway_commit_to_send_seconds`,
 *   read from its /metrics before and after the measured window): the ratio is the alert stream's cost.
 *
 *   npx tsx bench/status-check.ts [seconds=60] [rate=2500] [probes=1024] [lookback=10]
 */
import { performance } from "node:perf_hooks";
import pg from "pg";
import { io } from "socket.io-client";
import { newestResultsPerProbe } from "@probestream/db";
import { STATUS_CHECK_DEFAULTS, statusCheck } from "@probestream/types";
import { createTestDatabase, pingResult, registerProbe, type TestProbe } from "@probestream/testkit";
import { AppProcess, PrivateRedis } from "../packages/testkit/src/faults/index.js";
import { lowerCpuPriority } from "@probestream/service-kit";
import { forkPoller } from "./http-poller.js";

const SECONDS = Number(process.argv[2] ?? 60);
const RATE = Number(process.argv[3] ?? 2500);
const PROBES = Number(process.argv[4] ?? 1024);
const LOOKBACK = Number(process.argv[5] ?? 10);
const BATCH = 50;
const TICK_MS = (BATCH * 1000) / RATE;
const HISTORY = 50;
const IDLE_REQUESTS = 100;
/**
 * Under ingest, a status check and a measurement detail every this many ms: paced as a monitoring
 * system polls (and within the gateway's 1,200 requests a minute per address, which back-to-back
 * polls on a quiet box exceed, answered 429).
 */
const POLL_MS = 100;
const MSM = 4_100_000;
const ADMIN = "bench";
const PRB_BASE = 20_000;

type Json = Record<string, unknown>;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const fmt = (values: number[]) =>
  `p50 ${percentile(values, 50).toFixed(1).padStart(6)} ms  p99 ${percentile(values, 99).toFixed(1).padStart(6)} ms  (${values.length})`;

/** One cumulative bucket of a Prometheus histogram: observations ≤ `le` seconds. */
interface Bucket {
  le: number;
  count: number;
}

async function gatewayMetrics(): Promise<string> {
  const res = await fetch(`${gatewayApp.url}/metrics`);
  if (res.status !== 200) throw new Error(`gateway /metrics answered ${res.status}`);
  return res.text();
}

/** A histogram's buckets in `after` minus those in `before`: what was observed in between. */
function histogramDiff(before: string, after: string, name: string): Bucket[] {
  const read = (text: string) => {
    const counts = new Map<number, number>();
    for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\d+)$`, "gm"))) {
      const le = /le="([^"]+)"/.exec(m[1]!)?.[1];
      if (le !== undefined) counts.set(le === "+Inf" ? Infinity : Number(le), Number(m[2]));
    }
    return counts;
  };
  const b = read(before);
  return [...read(after)].map(([le, count]) => ({ le, count: count - (b.get(le) ?? 0) })).sort((x, y) => x.le - y.le);
}

/** Prometheus's histogram_quantile: linear within the bucket holding the quantile. */
function histogramQuantile(buckets: Bucket[], q: number): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(1, count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}

async function timed(n: number, call: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = now();
    await call();
    times.push(now() - start);
  }
  return times;
}

const db = await createTestDatabase("bench_status_check");
const pool = new pg.Pool({ connectionString: db.url, max: 2 });
const t0 = Math.floor(Date.now() / 1000) - 86_400;
const redis = await PrivateRedis.start();
const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, INGEST_ADMIN_TOKEN: ADMIN, LOG_LEVEL: "warn", METRICS_OPEN: "1" };
const ingestApp = await AppProcess.start("ingest", env);
const gatewayApp = await AppProcess.start("gateway", env);
const platform = { ingestUrl: ingestApp.url, gatewayUrl: gatewayApp.url };
const poller = await forkPoller();
// This process is the load (the probes' posts) and the stream clients: at a lower CPU priority than
// the platform's processes and the poller (all started above), as if it ran on other machines, so
// that on two shared cores the figures are the server's, not the load generator's.
lowerCpuPriority(10);
try {
  const probes: TestProbe[] = [];
  for (let p = 0; p < PROBES; p++) probes.push(await registerProbe(platform.ingestUrl, ADMIN, PRB_BASE + p));
  await pool.query("SELECT ensure_results_partitions(to_timestamp($1)::date, 3)", [t0]);
  await pool.query("INSERT INTO measurements (id, type, description, status) VALUES ($1, 'ping', 'status-check bench', 2)", [MSM]);
  // A stored history: HISTORY results per probe, RTTs around 20 ms.
  await pool.query(
    `INSERT INTO results (msm_id, prb_id, ts, type, digest, body)
     SELECT $1::int, $2::int + p, to_timestamp($3::bigint + h * 240), 'ping', decode(md5(p || ':' || h), 'hex'),
            json_build_object('type', 'ping', 'fw', 5080, 'msm_id', $1::int, 'prb_id', $2::int + p, 'timestamp', $3::bigint + h * 240,
                              'dst_addr', '193.0.14.129', 'sent', 3, 'rcvd', 3, 'avg', 20 + (p % 7), 'min', 19, 'max', 27,
                              'result', json_build_array(json_build_object('rtt', 19), json_build_object('rtt', 20), json_build_object('rtt', 21)))
     FROM generate_series(0, $4::int - 1) AS p, generate_series(0, $5::int - 1) AS h`,
    [MSM, PRB_BASE, t0, PROBES, HISTORY],
  );
  await pool.query("ANALYZE results");
  const statusCheckUrl = { url: `${platform.gatewayUrl}/api/v2/measurements/${MSM}/status-check/?lookback=${LOOKBACK}`, probes: PROBES };
  const detailUrl = { url: `${platform.gatewayUrl}/api/v2/measurements/${MSM}/` };
  await poller.poll({ checks: [statusCheckUrl], everyMs: 0, forMs: 0, rounds: 20 });
  const sqlIdle = await timed(IDLE_REQUESTS, async () => void (await newestResultsPerProbe(pool, MSM, LOOKBACK)));
  const storageIdle = await timed(IDLE_REQUESTS, async () => {
    const rows = await newestResultsPerProbe(pool, MSM, LOOKBACK);
    statusCheck(rows.map((r) => ({ seq: r.seq, result: JSON.parse(r.body) as Json })), { ...STATUS_CHECK_DEFAULTS, lookback: LOOKBACK });
  });
  const [idle = []] = await poller.poll({ checks: [statusCheckUrl], everyMs: 0, forMs: 0, rounds: IDLE_REQUESTS });

  // The stream clients: results and alerts of the measurement.
  const resultLatency: number[] = [];
  const alertLatency: number[] = [];
  const postedAt = new Map<number, number>();
  const connect = async (params: Json, on: (event: string, payload: Json) => void) => {
    const socket = io(platform.gatewayUrl, { path: "/stream/socket.io", transports: ["websocket"], forceNew: true, reconnection: false });
    socket.onAny((event: string, payload: Json) => on(event, payload));
    await new Promise<void>((resolve) => {
      socket.once("atlas_subscribed", () => resolve());
      socket.emit("atlas_subscribe", params);
    });
    return socket;
  };
  let measuring = false;
  const resultSocket = await connect({ stream_type: "result", msm: MSM }, (event, payload) => {
    if (measuring && event === "atlas_result" && typeof payload.bench_sent_ms === "number") resultLatency.push(now() - payload.bench_sent_ms);
  });
  const alertSocket = await connect({ stream_type: "alert", msm: MSM, lookback: LOOKBACK }, (event, payload) => {
    const sent = postedAt.get(payload.prb_id as number);
    if (measuring && event === "atlas_alert" && sent !== undefined) alertLatency.push(now() - sent);
  });

  // Ingest: one probe's batch every TICK_MS, posted without waiting for the previous one.
  let stop = false;
  let posted = 0;
  const batches = new Map<number, number>();
  const inFlight = new Set<Promise<void>>();
  const ingest = (async () => {
    const start = now();
    for (let tick = 0; !stop; tick++) {
      const wait = start + tick * TICK_MS - now();
      if (wait > 0) await sleep(wait);
      while (inFlight.size >= 16) await Promise.race(inFlight);
      const p = tick % PROBES;
      const n = batches.get(p) ?? 0;
      batches.set(p, n + 1);
      const lost = n % 2 === 0;
      const sentAt = now();
      const base = t0 + HISTORY * 240 + n * BATCH;
      const results = Array.from({ length: BATCH }, (_, k) => ({
        ...pingResult(PRB_BASE + p, MSM, base + k, lost ? { rcvd: 0, avg: -1, min: -1, max: -1, result: [{ x: "*" }, { x: "*" }, { x: "*" }] } : {}),
        bench_sent_ms: sentAt,
      }));
      postedAt.set(PRB_BASE + p, sentAt);
      const sending = fetch(`${platform.ingestUrl}/probe/results`, {
        method: "POST",
        headers: { authorization: probes[p]!.authorization, "content-type": "application/json" },
        body: JSON.stringify(results),
      }).then(async (res) => {
        if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        posted += BATCH;
      });
      const tracked = sending.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    await Promise.all(inFlight);
  })();

  await sleep(2000);
  measuring = true;
  const metricsBefore = await gatewayMetrics();
  const measuredFrom = now();
  const postedBefore = posted;
  const [underIngest = [], detailUnderIngest = []] = await poller.poll({ checks: [statusCheckUrl, detailUrl], everyMs: POLL_MS, forMs: SECONDS * 1000 });
  const ingestRate = ((posted - postedBefore) * 1000) / (now() - measuredFrom);
  stop = true;
  await ingest;
  await sleep(1000);
  measuring = false;
  const metricsAfter = await gatewayMetrics();
  const commitToSend = (name: string) => histogramDiff(metricsBefore, metricsAfter, name);
  const resultCommit = commitToSend("gateway_commit_to_send_seconds");
  const alertCommit = commitToSend("gateway_alert_commit_to_send_seconds");
  resultSocket.close();
  alertSocket.close();

  console.log(
    `status check of a ${PROBES}-probe ping measurement (${HISTORY} stored results each), lookback=${LOOKBACK}; ` +
      `ingest ${RATE} results/s asked, ${ingestRate.toFixed(0)} results/s acknowledged over ${SECONDS} s`,
  );
  console.log(`  bare SQL (newest ${LOOKBACK} per probe), idle     ${fmt(sqlIdle)}`);
  console.log(`  computed from storage (SQL + fold), idle  ${fmt(storageIdle)}`);
  console.log(`  status check endpoint, idle platform      ${fmt(idle)}`);
  console.log(`  status check endpoint, under ingest       ${fmt(underIngest)}`);
  console.log(`  measurement detail, under ingest          ${fmt(detailUnderIngest)}`);
  console.log(
    `  ratio status check under ingest / idle: p99 ${(percentile(underIngest, 99) / percentile(idle, 99)).toFixed(2)}; ` +
      `/ measurement detail under ingest: p99 ${(percentile(underIngest, 99) / percentile(detailUnderIngest, 99)).toFixed(2)}`,
  );
  console.log(`  result stream, post → atlas_result        ${fmt(resultLatency)}`);
  console.log(`  alert stream, post → atlas_alert          ${fmt(alertLatency)}`);
  console.log(
    `  ratio alert / result stream: p50 ${(percentile(alertLatency, 50) / percentile(resultLatency, 50)).toFixed(2)}  ` +
      `p99 ${(percentile(alertLatency, 99) / percentile(resultLatency, 99)).toFixed(2)}`,
  );
  // The figure: commit → event, as the gateway measures it (the commit time rides on the bus).
  const q = (h: Bucket[], p: number) => histogramQuantile(h, p / 100) * 1000;
  console.log(`  commit → send in the gateway (its histograms, interpolated in their buckets as Prometheus does):`);
  console.log(`    results  p50 ${q(resultCommit, 50).toFixed(1)} ms  p99 ${q(resultCommit, 99).toFixed(1)} ms  (${resultCommit.at(-1)?.count ?? 0})`);
  console.log(`    alerts   p50 ${q(alertCommit, 50).toFixed(1)} ms  p99 ${q(alertCommit, 99).toFixed(1)} ms  (${alertCommit.at(-1)?.count ?? 0})`);
  console.log(`    ratio alert / result: p50 ${(q(alertCommit, 50) / q(resultCommit, 50)).toFixed(2)}  p99 ${(q(alertCommit, 99) / q(resultCommit, 99)).toFixed(2)}`);
} finally {
  poller.close();
  await gatewayApp.terminate();
  await ingestApp.terminate();
  await redis.stop();
  await pool.end();
  await db.drop();
}
