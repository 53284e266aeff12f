import { describe, expect, it } from "vitest";
import { encodeResultBatch, type PublishedResult } from "@probestream/bus";
import type { StreamHistory } from "@probestream/db";
import type { FastifyBaseLogger } from "fastify";
import type { AlertRouting } from "../src/streaming/alert-routing.js";
import { LiveRouting } from "../src/streaming/live-routing.js";
import type { GatewayMetrics } from "../src/metrics.js";
import type { StreamEntry } from "../src/streaming/stream-entry.js";

const result = (id: number): PublishedResult => ({
  id: String(id), privateTo: null, msmId: 1001, prbId: 1, timestamp: 1_750_000_000 + id, type: "ping", json: `{"prb_id":1,"n":${id}}`,
});

describe("live routing of large bus messages", () => {
  it("routes a batch a slice at a time, letting the event loop in between, in order, with later batches after it", async () => {
    const routed: string[] = [];
    let turnsBetween = 0;
    // An alert fold that costs ~20 µs a result: 4,000 results take ~80 ms.
    const alerts = {
      active: true,
      onResult(entry: StreamEntry) {
        const until = performance.now() + 0.02;
        while (performance.now() < until);
        routed.push(entry.id);
      },
    } as unknown as AlertRouting;
    const live = new LiveRouting({
      history: {} as StreamHistory, metrics: {} as GatewayMetrics, log: {} as FastifyBaseLogger, unpublishedGraceMs: 60_000, reached: () => {}, alerts,
    });
    const first = Array.from({ length: 4000 }, (_, i) => result(1000 + i));
    const second = Array.from({ length: 10 }, (_, i) => result(5000 + i));
    live.onMessage(encodeResultBatch(first, "0"));
    live.onMessage(encodeResultBatch(second, "4999"));
    const ticking = setInterval(() => turnsBetween++, 0);
    await expect.poll(() => routed.length).toBe(4010);
    clearInterval(ticking);
    expect(routed).toEqual([...first, ...second].map((r) => r.id));
    // Timers ran while the batch was routed: it did not hold the event loop for all of it.
    expect(turnsBetween).toBeGreaterThan(3);
    live.stop();
  });
});
