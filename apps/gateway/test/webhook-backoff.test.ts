import { describe, expect, it } from "vitest";
import { Backoff } from "@probestream/types";
import { retryAfterMs } from "../src/webhooks/sender.js";

// The retry timing of a webhook lane, on the functions it uses: its Backoff (1 s base, 5 min
// ceiling by default) and the receiver's Retry-After, in seconds or as an HTTP date.

describe("webhook retry delays", () => {
  it("grow exponentially up to the ceiling, each drawn with jitter from [50%, 100%] of it", () => {
    const runs = Array.from({ length: 200 }, () => {
      const backoff = new Backoff(1000, 300_000);
      return Array.from({ length: 12 }, () => backoff.next());
    });
    for (let failure = 0; failure < 12; failure++) {
      const ceiling = Math.min(300_000, 1000 * 2 ** failure);
      const delays = runs.map((run) => run[failure]!);
      for (const d of delays) {
        expect(d).toBeGreaterThanOrEqual(ceiling / 2);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
      // Jitter: delays of one step differ between lanes, spread over most of the range.
      expect(new Set(delays).size).toBeGreaterThan(100);
      expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(ceiling * 0.35);
    }
    // Growth: each step's mean about doubles until the ceiling.
    const mean = (failure: number) => runs.reduce((sum, run) => sum + run[failure]!, 0) / runs.length;
    for (let failure = 1; failure < 8; failure++) expect(mean(failure) / mean(failure - 1)).toBeGreaterThan(1.6);
  });

  it("start again from the base after a success", () => {
    const backoff = new Backoff(1000, 300_000);
    for (let i = 0; i < 6; i++) backoff.next();
    backoff.reset();
    expect(backoff.next()).toBeLessThanOrEqual(1000);
  });

  it("follow Retry-After in seconds or as an HTTP date", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs("Tue, 01 Dec 2026 12:00:30 GMT", now)).toBe(30_000);
    // A date passed means at once; nothing readable means the back-off's own delay.
    expect(retryAfterMs("Tue, 01 Dec 2026 11:59:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBeNull();
    expect(retryAfterMs(undefined, now)).toBeNull();
  });
});
