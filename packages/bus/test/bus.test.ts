import { describe, expect, it } from "vitest";
import { InProcessBus, RedisBus, decodeResultBatch, encodeResultBatch, type MessageBus } from "@probestream/bus";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

describe.each([
  ["in-process", () => new InProcessBus()],
  ["Redis", () => new RedisBus(REDIS_URL, `test-${process.pid}`)],
] as [string, () => MessageBus][])("%s bus", (_name, make) => {
  it("delivers each message to every subscriber of its channel, in order, and stops after unsubscribe", async () => {
    const publisher = make();
    const channel = `test:${Math.random()}`;
    const a: string[] = [];
    const b: string[] = [];
    const stopA = await publisher.subscribe(channel, (m) => a.push(m));
    await publisher.subscribe(channel, (m) => b.push(m));
    await publisher.subscribe(`${channel}:other`, () => b.push("wrong channel"));
    for (let i = 0; i < 100; i++) await publisher.publish(channel, `m${i}`);
    await expect.poll(() => b.length).toBe(100);
    expect(a).toEqual(b);
    expect(b[99]).toBe("m99");
    await stopA();
    await publisher.publish(channel, "after");
    await expect.poll(() => b.length).toBe(101);
    expect(a).toHaveLength(100);
    await publisher.close();
  });
});

describe("Redis namespaces", () => {
  it("keep buses of different namespaces apart, and join those of the same", async () => {
    const a = new RedisBus(REDIS_URL, "ns-a");
    const a2 = new RedisBus(REDIS_URL, "ns-a");
    const b = new RedisBus(REDIS_URL, "ns-b");
    const heardA: string[] = [];
    const heardB: string[] = [];
    await a2.subscribe("results", (m) => heardA.push(m));
    await b.subscribe("results", (m) => heardB.push(m));
    await a.publish("results", "for a");
    await expect.poll(() => heardA).toEqual(["for a"]);
    await new Promise((r) => setTimeout(r, 100));
    expect(heardB).toEqual([]);
    await Promise.all([a.close(), a2.close(), b.close()]);
  });
});

describe("result batch encoding", () => {
  it("round-trips ids, routing fields and JSON, including spaces and unicode inside the JSON", () => {
    const batch = [
      { id: "1", privateTo: null, msmId: 1001, prbId: 6001, timestamp: 1_700_000_000, type: "ping", json: '{"a": "x y","b":"ü\\n"}' },
      { id: "9007199254740993", privateTo: 7, msmId: 2_000_000_001, prbId: 1, timestamp: 0, type: "sslcert", json: "{}" },
    ];
    expect(decodeResultBatch(encodeResultBatch(batch, "41", 1234))).toEqual({ committedAt: 1234, after: "41", results: batch });
    expect(decodeResultBatch(encodeResultBatch([], "0", 5))).toEqual({ committedAt: 5, after: "0", results: [] });
  });
});
