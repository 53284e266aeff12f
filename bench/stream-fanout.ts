/**
 * Stream fan-out: results/s delivered (summed over every socket) to 1,000 socket.io clients, in two
 * scenarios: (a) all subscribed to one measurement, (b) each to its own. Results go the whole way:
 * posted in batches by registered probes to ingest, committed, published, routed by the gateway.
 * Baseline, same run, same client fleets: a stock socket.io server broadcasting the same payloads
 * (`io.emit` for (a), `io.to(room).emit` with one room per socket for (b)).
 * Probestream twice: end to end (ingest → commit → relay → gateway), and the gateway alone, fed
 * result batches on its bus as the relay publishes them (nothing stored), like the baseline's
 * payloads straight from memory.
 *
 * The senders run closed-loop: at most `window` results are outstanding (sent but not yet received by
 * every subscriber), so both servers are measured at their delivery ceiling, not by how much they can
 * buffer. Clients run in two child processes.
 *
 *   npx tsx bench/stream-fanout.ts [sockets=1000] [seconds=15]
 */
import { Channels, encodeResultBatch, InProcessBus } from "@probestream/bus";
import { createPool, LOG_START, ResultReader } from "@probestream/db";
import { createGatewayApp } from "@probestream/gateway";
import { startPlatform } from "@probestream/standalone";
import { createTestDatabase, registerProbe, type TestProbe } from "@probestream/testkit";
import { ClientFleets, pingResult, rate, secondsSince, sleep, startStockServer, type Json } from "./stream-harness.js";

const SOCKETS = Number(process.argv[2] ?? 1000);
const SECONDS = Number(process.argv[3] ?? 15);
const WARMUP_SECONDS = 3;
const CLIENT_PROCESSES = 2;
const PROBES = 20;
const ADMIN = "bench";
const SHARED_MSM = 3_000_000;
const OWN_MSM_BASE = 3_100_000;

interface Scenario {
  name: string;
  /** One subscription per socket. */
  subscriptions: Json[];
  /** How many sockets receive each result. */
  fanout: number;
  /** Results per send (one ingest batch). */
  batch: number;
  /** Results outstanding at most. */
  window: number;
  /** The measurement of the i-th result of the run. */
  msmOf(i: number): number;
}

const scenarios: Scenario[] = [
  {
    name: "(a) 1 measurement, every socket",
    subscriptions: Array.from({ length: SOCKETS }, () => ({ stream_type: "result", msm: SHARED_MSM })),
    fanout: SOCKETS,
    batch: 10,
    window: 100,
    msmOf: () => SHARED_MSM,
  },
  {
    name: "(b) 1 measurement per socket",
    subscriptions: Array.from({ length: SOCKETS }, (_, i) => ({ stream_type: "result", msm: OWN_MSM_BASE + i })),
    fanout: 1,
    batch: 200,
    window: 20 * SOCKETS,
    msmOf: (i) => OWN_MSM_BASE + (i % SOCKETS),
  },
];

interface Outcome {
  delivered: number;
  perSecond: number;
  complete: boolean;
  disconnected: number;
}

/**
 * Sends batches (via `send`, up to `senders` at once) while fewer than `window` results are
 * outstanding; counts what arrives between warm-up and the end; then waits for the rest.
 */
async function drive(url: string, scenario: Scenario, senders: number, send: (first: number, n: number) => Promise<void>): Promise<Outcome> {
  const fleets = new ClientFleets(CLIENT_PROCESSES);
  try {
    await fleets.connect(url, scenario.subscriptions);
    let sent = 0;
    let stop = false;
    let failure: unknown;
    const loops = Array.from({ length: senders }, async () => {
      while (!stop) {
        if (sent - fleets.received / scenario.fanout >= scenario.window) {
          await sleep(2);
          continue;
        }
        const first = sent;
        sent += scenario.batch;
        await send(first, scenario.batch);
      }
    });
    const sending = Promise.all(loops).catch((e: unknown) => {
      failure = e;
      stop = true;
    });
    await sleep(WARMUP_SECONDS * 1000);
    const from = fleets.received;
    const t = process.hrtime.bigint();
    await sleep(SECONDS * 1000);
    const delivered = fleets.received - from;
    const seconds = secondsSince(t);
    stop = true;
    await sending;
    if (failure) throw failure instanceof Error ? failure : new Error("a client failed", { cause: failure });
    const complete = await fleets.waitFor(sent * scenario.fanout, 30_000);
    return { delivered, perSecond: delivered / seconds, complete, disconnected: fleets.disconnected };
  } finally {
    await fleets.close();
  }
}

/** Probestream: probes post batches to ingest, the gateway streams them. */
async function runProbestream(scenario: Scenario, databaseUrl: string): Promise<Outcome> {
  const platform = await startPlatform({
    databaseUrl,
    gatewayPort: 0,
    ingestPort: 0,
    ingestAdminToken: ADMIN,
    streamLimits: { sessionsPerAddress: SOCKETS + 10 },
  });
  try {
    const probes: TestProbe[] = [];
    for (let p = 0; p < PROBES; p++) probes.push(await registerProbe(platform.ingestUrl, ADMIN, 5000 + p));
    // Distinct timestamps per probe keep every result new to the writer's dedup.
    const clock = probes.map(() => Math.floor(Date.now() / 1000) - 86_400);
    let turn = 0;
    return await drive(platform.gatewayUrl, scenario, 2, async (first, n) => {
      const p = turn++ % PROBES;
      const probe = probes[p]!;
      const body = JSON.stringify(Array.from({ length: n }, (_, k) => pingResult(probe.prbId, scenario.msmOf(first + k), clock[p]!++)));
      const res = await fetch(`${platform.ingestUrl}/probe/results`, {
        method: "POST",
        headers: { authorization: probe.authorization, "content-type": "application/json" },
        body,
      });
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    });
  } finally {
    await platform.close();
  }
}

/**
 * The gateway alone: result batches published on its bus with consecutive positions, as the relay
 * does, from the start of an empty log (its own database).
 */
async function runGatewayAlone(scenario: Scenario): Promise<Outcome> {
  const db = await createTestDatabase("bench_fanout_gateway");
  const pool = createPool(db.url, 5);
  const bus = new InProcessBus();
  const gateway = await createGatewayApp({ pool, reader: new ResultReader(pool), bus, limits: { sessionsPerAddress: SOCKETS + 10 } }, false);
  await gateway.listen({ host: "127.0.0.1", port: 0 });
  const address = gateway.server.address() as { port: number };
  const storedTimestamp = Math.floor(Date.now() / 1000);
  let ts = storedTimestamp - 86_400;
  let position = LOG_START;
  let id = 0;
  try {
    return await drive(`http://127.0.0.1:${address.port}`, scenario, 1, async (first, n) => {
      const results = Array.from({ length: n }, (_, k) => {
        const msmId = scenario.msmOf(first + k);
        const timestamp = ts++;
        return {
          id: `1${String(++id).padStart(12, "0")}`,
          privateTo: null,
          msmId, prbId: 5000, timestamp, type: "ping",
          json: JSON.stringify({ ...pingResult(5000, msmId, timestamp), stored_timestamp: storedTimestamp }),
        };
      });
      const message = encodeResultBatch(results, position);
      position = results[results.length - 1]!.id;
      await bus.publish(Channels.results, message);
      // Let the sockets write before the next batch, as the baseline does.
      await new Promise((resolve) => setImmediate(resolve));
    });
  } finally {
    await gateway.close();
    await bus.close();
    await pool.end();
    await db.drop();
  }
}

/** Stock socket.io: the same payloads, emitted straight from memory. */
async function runStock(scenario: Scenario): Promise<Outcome> {
  const server = await startStockServer();
  const storedTimestamp = Math.floor(Date.now() / 1000);
  let ts = storedTimestamp - 86_400;
  try {
    return await drive(server.url, scenario, 1, async (first, n) => {
      for (let k = 0; k < n; k++) {
        const msm = scenario.msmOf(first + k);
        const payload = { ...pingResult(5000, msm, ts++), stored_timestamp: storedTimestamp };
        if (scenario.fanout === 1) server.io.to(`msm:${msm}`).emit("atlas_result", payload);
        else server.io.emit("atlas_result", payload);
      }
      // Let the sockets write before the next batch, as the network turn of an ingest post would.
      await new Promise((resolve) => setImmediate(resolve));
    });
  } finally {
    await server.close();
  }
}

function describe(label: string, o: Outcome): string {
  const notes = [`${o.delivered} in ${SECONDS} s`];
  if (!o.complete) notes.push("NOT ALL DELIVERED after the run");
  if (o.disconnected > 0) notes.push(`${o.disconnected} sockets disconnected`);
  return `  ${label.padEnd(32)} ${rate(o.perSecond)} results/s delivered (${notes.join(", ")})`;
}

const db = await createTestDatabase("bench_fanout");
try {
  console.log(`${SOCKETS} socket.io clients (websocket) in ${CLIENT_PROCESSES} processes, ${SECONDS} s measured after ${WARMUP_SECONDS} s warm-up`);
  for (const scenario of scenarios) {
    console.log(`${scenario.name}: each result to ${scenario.fanout} socket(s), batches of ${scenario.batch}, at most ${scenario.window} results outstanding`);
    const stock = await runStock(scenario);
    console.log(describe("baseline stock socket.io", stock));
    const alone = await runGatewayAlone(scenario);
    console.log(describe("probestream gateway alone (bus →)", alone));
    const ours = await runProbestream(scenario, db.url);
    console.log(describe("probestream ingest → gateway", ours));
    console.log(
      `  ratio probestream / stock: gateway alone ${(alone.perSecond / stock.perSecond).toFixed(2)}, ` +
        `end to end ${(ours.perSecond / stock.perSecond).toFixed(2)}`,
    );
  }
} finally {
  await db.drop();
}
