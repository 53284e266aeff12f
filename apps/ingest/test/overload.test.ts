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
});
