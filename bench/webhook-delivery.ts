/**
 * Webhook delivery: results/s delivered to 1 receiver and to 100 receivers, and the commit-to-POST
 * latency at a steady 2,500 results/s, with the worker's default settings (batches of up to `batch`
 * = 500 results, 100 ms wait for a short batch).
 *
 * - Throughput: `results` stored first through ingest, then webhooks created with `resumeFrom` the
 *   position before them (so they deliver that backlog) on receivers that answer 200 at once; counted until every receiver
 *   acknowledged every result. Baseline, same run: undici POSTing the same bodies (a batch
 *   each) to the same receivers, one at a time per receiver, no storage or signing.
 * - Latency: a sender posts 50 results every 20 ms to ingest for `seconds`; one webhook and one
 *   socket.io stream subscriber (the baseline: the live stream of the same commits) take
 *   everything. Each latency is receive time minus the time ingest acknowledged the result's batch
 *   (its commit), so it spans relay/log read, batching, signing and the POST.
 *
 * Receivers and the stream client run in this process, with the platform: on this 2-core box they
 * share one event loop and are part of what is measured.
 *
 * - Slow and dead receivers: the same steady run again with 100 more webhooks of the measurement,
 *   50 on receivers that answer after 5 s and 50 on a port that refuses (in a process of their own,
 *   hostile-receivers.ts); the stream's latency is
 *   compared with the run before (a webhook must never slow the stream), and so is the healthy
 *   webhook's (nor other webhooks).
 *
 * - `layout`: `embedded` (the worker in the platform's process, the default) or `process` (the worker
 *   alone, `webhooks-main.js` at its default `WEBHOOK_WORKER_NICE`, woken through Redis; the
 *   gateway serves the API only).
 *
 *   npx tsx bench/webhook-delivery.ts [results=20000] [results100=2000] [seconds=10] [rate=2500] [batch=500] [layout=embedded]
 */
import { performance } from "node:perf_hooks";
import { request } from "undici";
import { createPool, StreamHistory } from "@probestream/db";
import { startPlatform, type Platform } from "@probestream/standalone";
import { AppProcess } from "../packages/testkit/src/faults/index.js";
import { forkHostileReceivers } from "./hostile-receivers.js";
import {
  createApiKey, createTestDatabase, pingResult, postResults, registerProbe, restCall, StreamClient, WebhookReceiver, type TestProbe,
} from "@probestream/testkit";

const RESULTS = Number(process.argv[2] ?? 20_000);
const RESULTS_100 = Number(process.argv[3] ?? 2_000);
const SECONDS = Number(process.argv[4] ?? 10);
const RATE = Number(process.argv[5] ?? 2500);
const BATCH = Number(process.argv[6] ?? 500);
/** `process`: the delivery worker in a process of its own (webhooks-main.js), gateways not delivering, the bus on Redis. */
const LAYOUT = process.argv[7] === "process" ? "process" : "embedded";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SECRET_KEY = Buffer.alloc(32, 9);
const TICK_MS = 20;
const ADMIN = "bench";
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

let clock = Math.floor(Date.now() / 1000) - 20 * 3600;

/** Stores `n` results of `msm` through ingest, 500 a post, 4 posts at a time. */
async function fill(platform: Platform, probes: TestProbe[], msm: number, n: number): Promise<void> {
  let left = n;
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (left > 0) {
      const size = Math.min(500, left);
      left -= size;
      const probe = probes[next++ % probes.length]!;
      const batch = Array.from({ length: size }, () => pingResult(probe.prbId, msm, clock++));
      const res = await postResults(platform.ingestUrl, probe, batch);
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
    }
  }));
}

async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

/** Webhooks on `receivers` for the stored log of `msm` after `after`; results/s until each acknowledged `expected`. */
async function deliver(platform: Platform, key: string, receivers: WebhookReceiver[], msm: number, expected: number, after: string): Promise<number> {
  const started = now();
  for (const r of receivers) {
    const res = await restCall(platform.gatewayUrl, "POST", "/api/v2/webhooks/", key, {
      url: r.url, secret: "bench-webhook-secret-01", subscription: { stream_type: "result", msm, resumeFrom: after },
    });
    if (res.status !== 201) throw new Error(`webhook not created: ${JSON.stringify(res.body)}`);
  }
  await until(() => receivers.every((r) => r.acknowledgedPositions().length >= expected), 600_000, "deliveries");
  return (expected * receivers.length) / ((now() - started) / 1000);
}

/** The baseline: the bodies the webhooks sent, POSTed again by a bare undici loop per receiver. */
async function barePosts(receivers: WebhookReceiver[]): Promise<number> {
  const started = now();
  let results = 0;
  await Promise.all(receivers.map(async (r) => {
    for (const d of r.deliveries.slice()) {
      const res = await request(r.url, { method: "POST", headers: { "content-type": "application/json" }, body: d.body });
      await res.body.dump();
      results += d.positions.length;
    }
  }));
  return results / ((now() - started) / 1000);
}

/**
 * Posts `RATE` results/s of `msm` through ingest for `SECONDS` (50 every 20 ms at the default rate)
 * while a socket.io client streams the measurement; waits until the stream has every result and
 * `hookCount()` (a webhook's acknowledged results, or Infinity when not waited for) reaches them.
 * Times are wall clock, as the receivers stamp arrivals (the monotonic clock drifts from it here).
 */
async function steadyRun(platform: Platform, probes: TestProbe[], msm: number, hookCount: () => number) {
  const ackedAt = new Map<string, number>();
  const streamAt = new Map<string, number>();
  const stream = new StreamClient(platform.gatewayUrl);
  stream.socket.on("atlas_result", (r: { prb_id: number; timestamp: number }) => streamAt.set(`${r.prb_id}:${r.timestamp}`, Date.now()));
  stream.socket.emit("atlas_subscribe", { stream_type: "result", msm });
  await sleep(500);
  const perTick = Math.round((RATE * TICK_MS) / 1000);
  const ticks = Math.round((SECONDS * 1000) / TICK_MS);
  const start = now();
  const posts: Promise<void>[] = [];
  for (let t = 0; t < ticks; t++) {
    const probe = probes[t % probes.length]!;
    const batch = Array.from({ length: perTick }, () => pingResult(probe.prbId, msm, clock++));
    posts.push(postResults(platform.ingestUrl, probe, batch).then(() => {
      const at = Date.now();
      for (const r of batch) ackedAt.set(`${r.prb_id}:${r.timestamp}`, at);
    }));
    const wait = start + (t + 1) * TICK_MS - now();
    if (wait > 0) await sleep(wait);
  }
  await Promise.all(posts);
  const rate = ackedAt.size / ((now() - start) / 1000);
  await until(() => streamAt.size >= ackedAt.size && hookCount() >= ackedAt.size, 60_000, "latency run");
  stream.socket.close();
  return { ackedAt, streamAt, rate };
}

/** When each result (`prb_id:timestamp`) first reached a receiver (ms, wall clock). */
function arrivals(receiver: WebhookReceiver): Map<string, number> {
  const at = new Map<string, number>();
  for (const d of receiver.deliveries) {
    for (const r of d.results) {
      const k = `${String(r.prb_id)}:${String(r.timestamp)}`;
      if (!at.has(k)) at.set(k, d.at);
    }
  }
  return at;
}

/** Arrival minus acknowledgement of each acknowledged result, sorted (ms). */
const latencies = (ackedAt: Map<string, number>, arrivedAt: Map<string, number>) =>
  [...ackedAt].map(([k, at]) => Math.max(0, arrivedAt.get(k)! - at)).sort((a, b) => a - b);

async function main(): Promise<void> {
  const db = await createTestDatabase("bench_webhooks");
  const alone = LAYOUT === "process";
  const platform = await startPlatform({
    databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN, ...(alone ? { redisUrl: REDIS_URL } : {}),
    webhooks: { secretKey: SECRET_KEY, allowPrivateTargets: true, worker: !alone, settings: { batchSize: BATCH } },
  });
  const worker = alone
    ? await AppProcess.start("webhooks", {
      DATABASE_URL: db.url, REDIS_URL, WEBHOOK_SECRET_KEY: SECRET_KEY.toString("hex"), WEBHOOK_ALLOW_PRIVATE_TARGETS: "1",
      WEBHOOK_BATCH_SIZE: String(BATCH), LOG_LEVEL: "warn",
    })
    : null;
  console.log(`delivery worker: ${alone ? "a process of its own, woken through Redis" : "in the platform's process"}`);
  const all: WebhookReceiver[] = [];
  const pool = createPool(db.url, 2);
  try {
    const { key } = await createApiKey(db.url, "bench", ["webhooks:manage", "results:read_private"]);
    const probes = await Promise.all(Array.from({ length: 20 }, (_, i) => registerProbe(platform.ingestUrl, ADMIN, 5001 + i)));

    const history = new StreamHistory(pool);
    let after = await history.newestPosition();
    await fill(platform, probes, 3_000_001, RESULTS);
    const one = [await WebhookReceiver.start()];
    all.push(...one);
    const oneRate = await deliver(platform, key, one, 3_000_001, RESULTS, after);
    one[0]!.behaviour = () => ({ status: 200 });
    const oneBare = await barePosts(one);
    console.log(`1 receiver, ${fmt(RESULTS)} results: webhooks ${fmt(oneRate)} results/s, bare POSTs ${fmt(oneBare)} results/s, ratio ${(oneRate / oneBare).toFixed(2)}`);

    after = await history.newestPosition();
    await fill(platform, probes, 3_000_002, RESULTS_100);
    const hundred = await Promise.all(Array.from({ length: 100 }, () => WebhookReceiver.start()));
    all.push(...hundred);
    const hundredRate = await deliver(platform, key, hundred, 3_000_002, RESULTS_100, after);
    const hundredBare = await barePosts(hundred);
    console.log(`100 receivers, ${fmt(RESULTS_100)} results each: webhooks ${fmt(hundredRate)} results/s delivered in all, bare POSTs ${fmt(hundredBare)}, ratio ${(hundredRate / hundredBare).toFixed(2)}`);
    // Those webhooks are done: delete them so the latency run has one.
    const listed = await restCall(platform.gatewayUrl, "GET", "/api/v2/webhooks/?page_size=500", key);
    for (const w of listed.body.results as { id: number }[]) await restCall(platform.gatewayUrl, "DELETE", `/api/v2/webhooks/${w.id}/`, key);

    const msm = 3_000_003;
    const receiver = await WebhookReceiver.start();
    all.push(receiver);
    await restCall(platform.gatewayUrl, "POST", "/api/v2/webhooks/", key, {
      url: receiver.url, secret: "bench-webhook-secret-01", subscription: { stream_type: "result", msm },
    });
    const first = await steadyRun(platform, probes, msm, () => new Set(receiver.acknowledgedPositions()).size);
    const hook = latencies(first.ackedAt, arrivals(receiver));
    const live = latencies(first.ackedAt, first.streamAt);
    console.log(`latency at ${fmt(first.rate)} results/s acknowledged (${fmt(first.ackedAt.size)} results), commit (ingest's answer) to arrival:`);
    console.log(`  webhook POST:  p50 ${percentile(hook, 50).toFixed(1)} ms, p99 ${percentile(hook, 99).toFixed(1)} ms, max ${hook.at(-1)!.toFixed(1)} ms (${receiver.deliveries.length} POSTs)`);
    console.log(`  socket stream: p50 ${percentile(live, 50).toFixed(1)} ms, p99 ${percentile(live, 99).toFixed(1)} ms (baseline)`);
    console.log(`  ratio p50 ${(percentile(hook, 50) / percentile(live, 50)).toFixed(2)}, p99 ${(percentile(hook, 99) / percentile(live, 99)).toFixed(2)}`);

    // The same steady load with 100 more webhooks of the measurement on hostile receivers: 50 that
    // answer only after 5 s, 50 whose port refuses (retried with back-off). The stream must not notice.
    // They run in a process of their own, as users' services do: in this one they would read the
    // hundred lanes' bodies on the event loop the platform and the stream client share.
    const hostileReceivers = await forkHostileReceivers(50, 50, 5000);
    for (const url of [...hostileReceivers.slow, ...hostileReceivers.gone]) {
      const res = await restCall(platform.gatewayUrl, "POST", "/api/v2/webhooks/", key, {
        url, secret: "bench-webhook-secret-02", subscription: { stream_type: "result", msm },
      });
      if (res.status !== 201) throw new Error(`webhook not created: ${JSON.stringify(res.body)}`);
    }
    const acknowledgedBefore = new Set(receiver.acknowledgedPositions()).size;
    const hostile = await steadyRun(platform, probes, msm, () => new Set(receiver.acknowledgedPositions()).size - acknowledgedBefore);
    const liveHostile = latencies(hostile.ackedAt, hostile.streamAt);
    const hookHostile = latencies(hostile.ackedAt, arrivals(receiver));
    hostileReceivers.close();
    console.log(`the same run with 100 more webhooks on slow (5 s) and refusing receivers, at ${fmt(hostile.rate)} results/s:`);
    console.log(`  socket stream: p50 ${percentile(liveHostile, 50).toFixed(1)} ms, p99 ${percentile(liveHostile, 99).toFixed(1)} ms;` +
      ` ratio to the run before p50 ${(percentile(liveHostile, 50) / percentile(live, 50)).toFixed(2)}, p99 ${(percentile(liveHostile, 99) / percentile(live, 99)).toFixed(2)}`);
    console.log(`  the healthy webhook's POST: p50 ${percentile(hookHostile, 50).toFixed(1)} ms, p99 ${percentile(hookHostile, 99).toFixed(1)} ms;` +
      ` ratio to the run before p50 ${(percentile(hookHostile, 50) / percentile(hook, 50)).toFixed(2)}, p99 ${(percentile(hookHostile, 99) / percentile(hook, 99)).toFixed(2)}`);
  } finally {
    await worker?.terminate();
    await platform.close();
    await pool.end();
    await Promise.all(all.map((r) => r.close()));
    await db.drop();
  }
}

await main();
