import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { Registry } from "prom-client";
import { Channels, InProcessBus, decodeResultBatch, type MessageBus } from "@probestream/bus";
import { createPool, positionAfter, ResultWriter, type Pool, type ResultToStore } from "@probestream/db";
import { createTestDatabase, type TestDatabase } from "@probestream/testkit";
import { IngestMetrics } from "../src/metrics.js";
import { ResultRelay } from "../src/result-relay.js";

let db: TestDatabase;
let pool: Pool;
const log = pino({ level: "silent" });
const NOW = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  db = await createTestDatabase("result_relay");
  pool = createPool(db.url);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

function result(prbId: number): ResultToStore {
  const body = { type: "ping", prb_id: prbId, msm_id: 88, timestamp: NOW, fw: 5020 };
  return { msmId: 88, prbId, timestamp: NOW, type: "ping", body: JSON.stringify(body) };
}

/** What subscribers heard: each batch's `after` and positions, and the prb_ids in order. */
async function listen(bus: MessageBus) {
  const heard = { batches: [] as { after: string; positions: string[] }[], prbIds: [] as number[] };
  await bus.subscribe(Channels.results, (message) => {
    const batch = decodeResultBatch(message);
    heard.batches.push({ after: batch.after, positions: batch.results.map((r) => r.id) });
    for (const r of batch.results) heard.prbIds.push((JSON.parse(r.json) as { prb_id: number }).prb_id);
  });
  return heard;
}

const relayOf = (bus: MessageBus, metrics = new IngestMetrics(new Registry())) => new ResultRelay({ pool, bus, log, metrics, retryMs: 100 });

async function relayedFrom(metrics: IngestMetrics, source: "commit" | "log"): Promise<number> {
  const { values } = await metrics.relayed.get();
  return values.find((v) => v.labels.source === source)?.value ?? 0;
}

describe("the result relay", () => {
  it("publishes commits in log order, one relay at a time, and a relay taking over goes on from the saved position", async () => {
    const bus = new InProcessBus();
    const heard = await listen(bus);
    const [a, b] = [relayOf(bus), relayOf(bus)];
    a.start();
    await expect.poll(() => a.leading).toBe(true);
    b.start();
    const writer = new ResultWriter(pool);
    for (let i = 0; i < 30; i++) await writer.write([result(1000 + i)]);
    await expect.poll(() => heard.prbIds.length).toBe(30);
    expect(b.leading).toBe(false);
    await a.stop();
    await expect.poll(() => b.leading).toBe(true);
    await Promise.all(Array.from({ length: 30 }, (_, i) => writer.write([result(2000 + i)])));
    await expect.poll(() => new Set(heard.prbIds).size).toBe(60);
    await b.stop();
    // In order, each batch following the one before it; a batch published again after the takeover
    // (saved position behind the last publish) is recognisable by its positions.
    const positions = heard.batches.flatMap((x) => x.positions);
    const unique = [...new Set(positions)];
    expect(unique).toHaveLength(60);
    for (let i = 1; i < unique.length; i++) expect(positionAfter(unique[i]!, unique[i - 1]!)).toBe(true);
    for (let i = 1; i < heard.batches.length; i++) {
      expect(positionAfter(heard.batches[i]!.after, heard.batches[i - 1]!.positions.at(-1)!)).toBe(false);
    }
  });

  it("keeps what the bus refused and publishes it when the bus is back", async () => {
    const bus = new InProcessBus();
    const heard = await listen(bus);
    let refusing = true;
    const flaky: MessageBus = {
      publish: (channel, message) => (refusing ? Promise.reject(new Error("bus down")) : bus.publish(channel, message)),
      subscribe: (channel, handler) => bus.subscribe(channel, handler),
      onResubscribed: () => {},
      close: () => bus.close(),
    };
    const relay = relayOf(flaky);
    relay.start();
    const writer = new ResultWriter(pool);
    // Probes are acknowledged on commit, bus or not.
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => writer.write([result(3000 + i)])));
    expect(outcomes.every((o) => o.stored.length === 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(heard.prbIds).toEqual([]);
    refusing = false;
    await expect.poll(() => heard.prbIds.filter((p) => p >= 3000).length).toBe(10);
    await relay.stop();
  });

  it("publishes its own process's proven commits without reading them back, in log order with other processes' commits", async () => {
    const bus = new InProcessBus();
    const heard = await listen(bus);
    const metrics = new IngestMetrics(new Registry());
    const relay = relayOf(bus, metrics);
    relay.start();
    await expect.poll(() => relay.leading).toBe(true);
    const own = new ResultWriter(pool, (turn) => relay.committed(turn));
    for (let i = 0; i < 20; i++) await own.write([result(4000 + i)]);
    await expect.poll(() => heard.prbIds.filter((p) => p >= 4000 && p < 4020).length).toBe(20);
    expect(await relayedFrom(metrics, "commit")).toBeGreaterThan(0);

    // Another process (its own pool) commits at the same time: its rows come through the log, and
    // the turns of both still reach the bus once each, in log order.
    const otherPool = createPool(db.url);
    try {
      const other = new ResultWriter(otherPool);
      await Promise.all([
        ...Array.from({ length: 40 }, (_, i) => own.write([result(5000 + i)])),
        ...Array.from({ length: 40 }, (_, i) => other.write([result(6000 + i)])),
      ]);
    } finally {
      await otherPool.end();
    }
    await expect.poll(() => heard.prbIds.filter((p) => p >= 5000).length).toBe(80);
    await relay.stop();
    const positions = heard.batches.flatMap((x) => x.positions);
    expect(new Set(positions).size).toBe(positions.length);
    for (let i = 1; i < positions.length; i++) expect(positionAfter(positions[i]!, positions[i - 1]!)).toBe(true);
    for (let i = 1; i < heard.batches.length; i++) expect(heard.batches[i]!.after).toBe(heard.batches[i - 1]!.positions.at(-1));
    expect(await relayedFrom(metrics, "log")).toBeGreaterThan(0);
  });
});
