import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { Redis } from "ioredis";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createGatewayApp } from "@probestream/gateway";
import { createPool, ResultReader, ResultWriter } from "@probestream/db";
import { RedisBus, busNamespaceOf } from "@probestream/bus";
import {
  StreamClient, createTestDatabase, pingResult, postResults, registerProbe,
  type Received, type TestDatabase, type TestProbe,
} from "@probestream/testkit";

const ADMIN = "test-admin-token";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let db: TestDatabase;
let platform: Platform;
let pool: pg.Pool;
let p1: TestProbe;
let p2: TestProbe;

beforeAll(async () => {
  db = await createTestDatabase("history");
  pool = new pg.Pool({ connectionString: db.url });
  // A tiny hold queue, so that hand-overs also take the path where live results overflow it.
  platform = await startPlatform({
    databaseUrl: db.url, redisUrl: REDIS_URL, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN,
    streamLimits: { historyQueueLimit: 50, unpublishedGraceMs: 500 },
  });
  p1 = await registerProbe(platform.ingestUrl, ADMIN, 31);
  p2 = await registerProbe(platform.ingestUrl, ADMIN, 32);
});

afterAll(async () => {
  await platform?.close();
  await pool?.end();
  await db?.drop();
});

async function post(probe: TestProbe, results: unknown[]): Promise<void> {
  const { status, body } = await postResults(platform.ingestUrl, probe, results);
  if (status !== 200) throw new Error(`${status} ${JSON.stringify(body)}`);
}

const keyOf = (r: Record<string, unknown>) => `${r.prb_id as number}:${r.timestamp as number}:${(r.seq as number | undefined) ?? ""}`;

function expectExactlyOnceInOrderPerProbe(received: Received[], expected: string[]): void {
  const keys = received.map((r) => keyOf(r.result));
  expect(new Set(keys).size).toBe(keys.length);
  expect(keys.sort()).toEqual([...expected].sort());
  for (const prb of new Set(received.map((r) => r.result.prb_id))) {
    const ts = received.filter((r) => r.result.prb_id === prb).map((r) => Number(r.result.timestamp));
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
  }
}

describe("history replay", () => {
  const MSM = 8001;
  const T0 = 1_720_000_000;

  beforeAll(async () => {
    // Stored out of timestamp order: commit order must not leak into replay order.
    const order = Array.from({ length: 100 }, (_, i) => (i * 37) % 100);
    for (let b = 0; b < 4; b++) {
      const slice = order.slice(b * 25, b * 25 + 25);
      await post(p1, slice.map((i) => pingResult(p1.prbId, MSM, T0 + i)));
      await post(p2, slice.map((i) => pingResult(p2.prbId, MSM, T0 + i)));
    }
  });

  it("replays a time range in timestamp order at full speed, then says it has finished, with counts", async () => {
    const client = new StreamClient(platform.gatewayUrl);
    const finished = client.next("atlas_replay_finished");
    await client.subscribe({ stream_type: "result", msm: MSM, startTime: T0 + 10, endTime: T0 + 59, speed: 0, sendPositions: true });
    const summary = (await finished) as { count: number; live: boolean };
    expect(summary).toMatchObject({ count: 100, live: false });
    const ts = client.results.map((r) => Number(r.result.timestamp));
    expect(ts).toHaveLength(100);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(ts[0]).toBe(T0 + 10);
    expect(ts.at(-1)).toBe(T0 + 59);
    // Every replayed result carries its stream position, as asked.
    expect(client.results.every((r) => /^\d+$/.test(r.position ?? ""))).toBe(true);
    // A replay with an end is over: later results are not sent on it.
    await post(p1, [pingResult(p1.prbId, MSM, T0 + 30, { late: true })]);
    await new Promise((r) => setTimeout(r, 300));
    expect(client.results).toHaveLength(100);
    client.close();
  });

  it("accepts stopTime for endTime, filters replays by probe, and delivers arrays with buffering", async () => {
    const client = new StreamClient(platform.gatewayUrl);
    const finished = client.next("atlas_replay_finished");
    const arrays: unknown[] = [];
    client.socket.on("atlas_result", (payload: unknown) => arrays.push(payload));
    await client.subscribe({ streamType: "result", msm: MSM, prb: p2.prbId, startTime: T0, stopTime: T0 + 99, speed: 0, buffering: true });
    expect(((await finished) as { count: number }).count).toBe(100);
    expect(client.results.every((r) => r.result.prb_id === p2.prbId)).toBe(true);
    expect(arrays.every((a) => Array.isArray(a))).toBe(true);
    expect(arrays.length).toBeLessThan(100);
    client.close();
  });

  it("paces a replay by speed", async () => {
    const client = new StreamClient(platform.gatewayUrl);
    const arrivals: number[] = [];
    client.socket.on("atlas_result", () => arrivals.push(Date.now()));
    const finished = client.next("atlas_replay_finished");
    // 10 s of history at 20x: about half a second.
    await client.subscribe({ stream_type: "result", msm: MSM, prb: p1.prbId, startTime: T0, endTime: T0 + 10, speed: 20 });
    await finished;
    expect(arrivals).toHaveLength(11);
    const spread = arrivals.at(-1)! - arrivals[0]!;
    expect(spread).toBeGreaterThanOrEqual(400);
    expect(spread).toBeLessThan(3000);
    client.close();
  });
});

describe("replay with an end still to come", () => {
  it("goes on with live results until endTime, then finishes", async () => {
    const MSM = 8007;
    const now = Math.floor(Date.now() / 1000);
    await post(p1, [pingResult(p1.prbId, MSM, now - 3)]);
    const client = new StreamClient(platform.gatewayUrl);
    const finished = client.next("atlas_replay_finished", 10_000);
    await client.subscribe({ stream_type: "result", msm: MSM, startTime: now - 10, endTime: now + 2, speed: 0 });
    await expect.poll(() => client.results.length).toBe(1);
    await post(p1, [pingResult(p1.prbId, MSM, now + 1), pingResult(p1.prbId, MSM, now + 60)]);
    expect(((await finished) as { count: number; live: boolean })).toMatchObject({ count: 2, live: false });
    expect(client.results.map((r) => r.result.timestamp)).toEqual([now - 3, now + 1]);
    await post(p1, [pingResult(p1.prbId, MSM, now + 2)]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.results).toHaveLength(2);
    client.close();
  });
});

describe("replay hands over to live with no gap and no duplicate, under concurrent ingest", () => {
  const MSM = 8002;

  it("delivers every result from startTime exactly once, in order per probe", async () => {
    const start = Math.floor(Date.now() / 1000) - 40;
    // 40 s of history per probe: replayed at 20x, it takes about two seconds while live results pour
    // in (more than the hold queue of 50 takes, so the catch-up from storage is exercised too).
    for (const p of [p1, p2]) await post(p, Array.from({ length: 40 }, (_, i) => pingResult(p.prbId, MSM, start + i)));
    const client = new StreamClient(platform.gatewayUrl);
    const finished = client.next("atlas_replay_finished", 30_000);

    let producing = true;
    let seq = 0;
    const producer = (async () => {
      while (producing && seq < 2000) {
        seq++;
        const ts = Math.floor(Date.now() / 1000);
        await Promise.all([p1, p2].map((p) => post(p, [pingResult(p.prbId, MSM, ts, { seq })])));
      }
    })();
    await new Promise((r) => setTimeout(r, 150));
    await client.subscribe({ stream_type: "result", msm: MSM, startTime: start, speed: 20 });
    expect(((await finished) as { live: boolean }).live).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    producing = false;
    await producer;

    const { rows } = await pool.query<{ k: string }>(
      `SELECT prb_id || ':' || extract(epoch FROM ts)::bigint || ':' || COALESCE(body->>'seq', '') AS k
       FROM results WHERE msm_id = $1 AND ts >= to_timestamp($2)`,
      [MSM, start],
    );
    await expect.poll(() => client.results.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(rows.length);
    await new Promise((r) => setTimeout(r, 300));
    expectExactlyOnceInOrderPerProbe(client.results, rows.map((r) => r.k));
    // Live results outnumbered the hold queue while the replay ran.
    expect(seq * 2).toBeGreaterThan(50);
    client.close();
  });
});

describe("sendBacklog", () => {
  it("sends recent stored results, then atlas_backlog_sent, then live ones", async () => {
    const MSM = 8003;
    const now = Math.floor(Date.now() / 1000);
    await post(p1, [pingResult(p1.prbId, MSM, now - 30), pingResult(p1.prbId, MSM, now - 20)]);
    await post(p1, [pingResult(p1.prbId, MSM, now - 3600)]);
    const client = new StreamClient(platform.gatewayUrl);
    const sent = client.next("atlas_backlog_sent");
    await client.subscribe({ stream_type: "result", msm: MSM, sendBacklog: true });
    expect(await sent).toEqual({ count: 2 });
    expect(client.results.map((r) => r.result.timestamp)).toEqual([now - 30, now - 20]);
    await post(p1, [pingResult(p1.prbId, MSM, now)]);
    await expect.poll(() => client.results.length).toBe(3);
    client.close();
  });
});

describe("resume", () => {
  it("a client that reconnects to a restarted gateway with its last position gets what it missed, then live", async () => {
    const MSM = 8004;
    const gatewayPool = createPool(db.url);
    const start = async () => {
      const app = await createGatewayApp({ pool: gatewayPool, reader: new ResultReader(gatewayPool), bus: new RedisBus(REDIS_URL, busNamespaceOf(db.url)) }, false);
      await app.listen({ host: "127.0.0.1", port: 0 });
      const address = app.server.address() as { port: number };
      return { app, url: `http://127.0.0.1:${address.port}` };
    };
    const first = await start();
    const before = new StreamClient(first.url);
    await before.subscribe({ stream_type: "result", msm: MSM, sendPositions: true });
    const t = 1_730_000_000;
    await post(p1, Array.from({ length: 10 }, (_, i) => pingResult(p1.prbId, MSM, t + i)));
    await expect.poll(() => before.results.length).toBe(10);
    const position = before.results.at(-1)!.position!;
    before.close();
    await first.app.close();

    // While no gateway runs, ingest goes on.
    await post(p2, Array.from({ length: 10 }, (_, i) => pingResult(p2.prbId, MSM, t + i)));
    await post(p1, Array.from({ length: 5 }, (_, i) => pingResult(p1.prbId, MSM, t + 10 + i)));

    const second = await start();
    const after = new StreamClient(second.url);
    await after.subscribe({ stream_type: "result", msm: MSM, resumeFrom: position, sendPositions: true });
    await expect.poll(() => after.results.length).toBe(15);
    await post(p2, [pingResult(p2.prbId, MSM, t + 10)]);
    await expect.poll(() => after.results.length).toBe(16);
    const all = [...before.results, ...after.results].map((r) => keyOf(r.result));
    expect(new Set(all).size).toBe(26);
    after.close();
    await second.app.close();
    await gatewayPool.end();
  });
});

describe("lost publish", () => {
  it("a result committed but never published reaches live subscribers from Postgres", async () => {
    const MSM = 8006;
    const client = new StreamClient(platform.gatewayUrl);
    await client.subscribe({ stream_type: "result", msm: MSM });
    // Stored the way ingest stores, but with nothing published: as if ingest died right after the commit.
    const silentWriter = new ResultWriter(pool);
    const r = pingResult(p1.prbId, MSM, 1_745_000_000);
    await silentWriter.write([{ msmId: MSM, prbId: p1.prbId, timestamp: r.timestamp, type: "ping", body: JSON.stringify(r) }]);
    await expect.poll(() => client.results.length, { timeout: 5000 }).toBe(1);
    expect(client.results[0]!.result).toMatchObject(r);
    // Later live results still arrive once each.
    await post(p1, [pingResult(p1.prbId, MSM, 1_745_000_001)]);
    await expect.poll(() => client.results.length).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(client.results).toHaveLength(2);
    client.close();
  });
});

describe("bus outage", () => {
  it("results committed while the gateway's Redis subscription was down are filled in from Postgres", async () => {
    const MSM = 8005;
    const client = new StreamClient(platform.gatewayUrl);
    await client.subscribe({ stream_type: "result", msm: MSM });
    const admin = new Redis(REDIS_URL);
    const t = 1_740_000_000;
    await admin.client("KILL", "TYPE", "pubsub");
    for (let i = 0; i < 10; i++) await post(p1, [pingResult(p1.prbId, MSM, t + i)]);
    await expect.poll(() => client.results.length, { timeout: 10_000 }).toBe(10);
    await new Promise((r) => setTimeout(r, 300));
    expectExactlyOnceInOrderPerProbe(client.results, Array.from({ length: 10 }, (_, i) => `${p1.prbId}:${t + i}:`));
    const metrics = await (await fetch(`${platform.gatewayUrl}/metrics`)).text();
    expect(Number(/gateway_bus_gap_fills_total\{[^}]*\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    admin.disconnect();
    client.close();
  });
});
