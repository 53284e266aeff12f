import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InProcessBus } from "@probestream/bus";
import { createPool, type Pool } from "@probestream/db";
import { createIngestApp } from "@probestream/ingest";
import { createTestDatabase, pingResult, registerProbe, type TestDatabase, type TestProbe } from "@probestream/testkit";
import type { FastifyInstance } from "fastify";

const ADMIN = "test-admin-token";
const MSM = 7301;

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;
let url: string;
let probe: TestProbe;

beforeAll(async () => {
  db = await createTestDatabase("ingest_overload");
  pool = createPool(db.url);
  // A queue of 50 results: a burst of concurrent batches of 40 overflows it.
  app = await createIngestApp({ pool, bus: new InProcessBus(), adminToken: ADMIN, maxWaitingResults: 50 }, false);
  url = await app.listen({ host: "127.0.0.1", port: 0 });
  probe = await registerProbe(url, ADMIN, 9301);
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
});

describe("ingest under overload", () => {
  it("refuses what its writer cannot queue with 503 and Retry-After, and stores every batch it acknowledged", async () => {
    const now = Math.floor(Date.now() / 1000);
    const batches = Array.from({ length: 20 }, (_, b) =>
      Array.from({ length: 40 }, (_, i) => pingResult(probe.prbId, MSM, now - 3600 + b * 40 + i)),
    );
    const answers = await Promise.all(
      batches.map(async (batch) => {
        const res = await fetch(`${url}/probe/results`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: probe.authorization },
          body: JSON.stringify(batch),
        });
        return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as { stored?: number; error?: { detail: string } } };
      }),
    );
    const refused = answers.filter((a) => a.status === 503);
    const acknowledged = answers.filter((a) => a.status === 200);
    expect(refused.length).toBeGreaterThan(0);
    expect(acknowledged.length + refused.length).toBe(batches.length);
    for (const a of refused) {
      expect(a.retryAfter).toBe("2");
      expect(a.body.error?.detail).toMatch(/overloaded/);
    }
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM results WHERE msm_id = $1", [MSM]);
    expect(rows[0]!.n).toBe(acknowledged.length * 40);
  });

  it("answers 503 with Retry-After, not 500, while its event loop lags", async () => {
    const lagging = await createIngestApp({ pool, bus: new InProcessBus(), adminToken: ADMIN, maxEventLoopDelayMs: 5 }, false);
    try {
      const lagUrl = await lagging.listen({ host: "127.0.0.1", port: 0 });
      // Block this process's event loop (the app's too) past a whole sampling period of its lag.
      const until = Date.now() + 1500;
      while (Date.now() < until);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const res = await fetch(`${lagUrl}/probe/results`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: probe.authorization },
        body: JSON.stringify([pingResult(probe.prbId, MSM, Math.floor(Date.now() / 1000))]),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(((await res.json()) as { error: { detail: string } }).error.detail).toMatch(/overloaded/);
    } finally {
      await lagging.close();
    }
  });
});
