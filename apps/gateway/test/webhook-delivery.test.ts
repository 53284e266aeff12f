import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startPlatform, type Platform, type PlatformOptions } from "@probestream/standalone";
import {
  createApiKey, createTestDatabase, pingResult, postResults, registerProbe, restCall, WebhookReceiver,
  type TestDatabase, type TestProbe,
} from "@probestream/testkit";
import { POSITION_SQL } from "@probestream/db";

// Delivery guarantees against local receivers: at least once, in order, duplicates exactly the
// re-deliveries; retries with back-off and Retry-After; a slow receiver holds up only its own
// webhook; the retry window, failing and resuming; a receiver gone across a service restart.

const SECRET = "whsec-delivery-tests-0001";
let db: TestDatabase;
let platform: Platform;
let key: string;
let probe: TestProbe;
let clock = Math.floor(Date.now() / 1000) - 3600;

const options = (databaseUrl: string, retryWindowMs = 2500): PlatformOptions => ({
  databaseUrl, gatewayPort: 0, ingestPort: 0, ingestAdminToken: "delivery-admin",
  webhooks: {
    secretKey: Buffer.alloc(32, 7), allowPrivateTargets: true,
    settings: { batchSize: 5, batchWaitMs: 10, retryBaseMs: 50, retryMaxMs: 200, retryWindowMs, leaseMs: 4000, idlePollMs: 200 },
    // At most half the lease; longer than the slow receiver's answer.
    sender: { timeoutMs: 2000 },
  },
});
const api = (method: string, path: string, body?: unknown) => restCall(platform.gatewayUrl, method, path, key, body);

/** Stores `n` results of measurement `msm` (one batch, distinct timestamps); answers their positions in log order. */
async function store(msm: number, n: number): Promise<string[]> {
  const results = Array.from({ length: n }, () => pingResult(probe.prbId, msm, clock++));
  const res = await postResults(platform.ingestUrl, probe, results);
  expect(res.body.stored).toBe(n);
  return positionsOf(msm);
}

async function positionsOf(msm: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ p: string }>(`SELECT ${POSITION_SQL} AS p FROM results WHERE msm_id = $1 ORDER BY tx, id`, [msm]);
    return rows.map((r) => r.p);
  } finally {
    await client.end();
  }
}

/** Waits until the webhook's saved position is `position` (the worker saves it after the receiver's answer). */
async function waitForPosition(id: number, position: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await api("GET", `/api/v2/webhooks/${id}/`)).body.position !== position) {
    if (Date.now() > deadline) throw new Error(`webhook ${id} did not reach position ${position}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function createHook(receiver: WebhookReceiver, msm: number): Promise<number> {
  const res = await api("POST", "/api/v2/webhooks/", { url: receiver.url, secret: SECRET, subscription: { stream_type: "result", msm } });
  expect(res.status).toBe(201);
  return res.body.id as number;
}

/**
 * The guarantees, from what the receiver saw: acknowledged deliveries carry every expected result
 * once and in order, and every result seen more than once was in a delivery that was not
 * acknowledged (a re-delivery), never in two acknowledged ones.
 */
function expectExactlyRedeliveries(receiver: WebhookReceiver, expected: string[]): void {
  expect(receiver.acknowledgedPositions()).toEqual(expected);
  const unacknowledged = new Set(receiver.deliveries.filter((d) => !WebhookReceiver.acknowledged(d)).flatMap((d) => d.positions));
  const seen = new Map<string, number>();
  for (const p of receiver.allPositions()) seen.set(p, (seen.get(p) ?? 0) + 1);
  for (const [p, times] of seen) if (times > 1) expect(unacknowledged.has(p), p).toBe(true);
}

beforeAll(async () => {
  db = await createTestDatabase("webhook_delivery");
  key = (await createApiKey(db.url, "erin", ["webhooks:manage"])).key;
  platform = await startPlatform(options(db.url));
  probe = await registerProbe(platform.ingestUrl, "delivery-admin", 8001);
});

afterAll(async () => {
  await platform?.close();
  await db?.drop();
});

describe("webhook delivery", () => {
  it("retries a receiver that fails its first attempts, and delivers everything once acknowledged, in order", async () => {
    const K = 3;
    const receiver = await WebhookReceiver.start((n) => ({ status: n < K ? 500 : 200 }));
    try {
      const id = await createHook(receiver, 2001);
      const expected = await store(2001, 12);
      await receiver.waitFor(() => receiver.acknowledgedPositions().length >= 12);
      expectExactlyRedeliveries(receiver, expected);
      expect(receiver.deliveries.slice(0, K).every((d) => d.status === 500)).toBe(true);
      // Every attempt of one batch carries the same delivery id and positions.
      expect(new Set(receiver.deliveries.slice(0, K + 1).map((d) => d.headers["x-probestream-delivery"])).size).toBe(1);
      const attempts = (await api("GET", `/api/v2/webhooks/${id}/deliveries/?page_size=100`)).body.results as { outcome: string; status_code: number; attempt: number }[];
      expect(attempts.filter((a) => a.outcome === "failed").map((a) => a.status_code)).toEqual([500, 500, 500]);
      expect(attempts.at(-(K + 1))).toMatchObject({ outcome: "delivered", attempt: K + 1 });
      await waitForPosition(id, expected.at(-1)!);
      const hook = (await api("GET", `/api/v2/webhooks/${id}/`)).body;
      expect(hook).toMatchObject({ state: "active", position: expected.at(-1), last_error: null, retrying_since: null });
    } finally {
      await receiver.close();
    }
  });

  it("honours Retry-After of a 429", async () => {
    const receiver = await WebhookReceiver.start((n) => (n === 0 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 }));
    try {
      await createHook(receiver, 2002);
      const expected = await store(2002, 3);
      await receiver.waitFor(() => receiver.acknowledgedPositions().length >= 3);
      expectExactlyRedeliveries(receiver, expected);
      expect(receiver.deliveries[1]!.at - receiver.deliveries[0]!.at).toBeGreaterThanOrEqual(950);
    } finally {
      await receiver.close();
    }
  });

  it("honours an HTTP-date Retry-After of a 503", async () => {
    // HTTP dates have whole seconds: 2.5 s ahead is 1.5 to 2.5 s ahead once truncated.
    const receiver = await WebhookReceiver.start((n) =>
      (n === 0 ? { status: 503, headers: { "retry-after": new Date(Date.now() + 2500).toUTCString() } } : { status: 200 }));
    try {
      await createHook(receiver, 2006);
      const expected = await store(2006, 3);
      await receiver.waitFor(() => receiver.acknowledgedPositions().length >= 3);
      expectExactlyRedeliveries(receiver, expected);
      // Without it the back-off's first delay is 25-50 ms here.
      expect(receiver.deliveries[1]!.at - receiver.deliveries[0]!.at).toBeGreaterThanOrEqual(1400);
    } finally {
      await receiver.close();
    }
  });

  it("lets a slow receiver hold up only its own webhook", async () => {
    const slow = await WebhookReceiver.start(() => ({ status: 200, delayMs: 1500 }));
    const fast = await WebhookReceiver.start();
    try {
      await createHook(slow, 2003);
      await createHook(fast, 2003);
      const expected = await store(2003, 10);
      const started = Date.now();
      await fast.waitFor(() => fast.acknowledgedPositions().length >= 10);
      expect(Date.now() - started).toBeLessThan(1400);
      await slow.waitFor(() => slow.acknowledgedPositions().length >= 10);
      expectExactlyRedeliveries(fast, expected);
      expectExactlyRedeliveries(slow, expected);
    } finally {
      await Promise.all([slow.close(), fast.close()]);
    }
  });

  it("marks a webhook failing after its retry window, and resumes it from its position with what was stored meanwhile", async () => {
    const receiver = await WebhookReceiver.start();
    const id = await createHook(receiver, 2004);
    const first = await store(2004, 3);
    await receiver.waitFor(() => receiver.acknowledgedPositions().length >= 3);
    await waitForPosition(id, first.at(-1)!);
    await receiver.close();
    const all = await store(2004, 4);
    const deadline = Date.now() + 15_000;
    while ((await api("GET", `/api/v2/webhooks/${id}/`)).body.state !== "failing") {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 200));
    }
    const failing = (await api("GET", `/api/v2/webhooks/${id}/`)).body;
    expect(failing).toMatchObject({ state: "failing", position: first.at(-1), last_error: expect.stringMatching(/ECONNREFUSED|refused/i) });
    const metrics = await (await fetch(`${platform.gatewayUrl}/metrics`)).text();
    expect(metrics).toMatch(/^webhooks\{state="failing"[^}]*\} 1$/m);
    expect(metrics).toMatch(/^webhook_delivery_attempts_total\{outcome="failed"[^}]*\} [1-9]/m);

    const more = await store(2004, 2);
    await receiver.listen();
    expect((await api("PATCH", `/api/v2/webhooks/${id}/`, { state: "active" })).body.state).toBe("active");
    await receiver.waitFor(() => receiver.acknowledgedPositions().length >= more.length);
    expectExactlyRedeliveries(receiver, more);
    expect(all).toEqual(more.slice(0, all.length));
    await receiver.close();
  });

  it("resumes after a service restart from the last acknowledged position, for a receiver that was gone meanwhile", async () => {
    const receiver = await WebhookReceiver.start();
    const id = await createHook(receiver, 2005);
    const before = await store(2005, 4);
    await receiver.waitFor(() => receiver.acknowledgedPositions().length >= 4);
    await waitForPosition(id, before.at(-1)!);
    await receiver.close();
    await store(2005, 3);
    await platform.close();
    // A window long enough to span the restart: it counts from the first failure, stored across it.
    platform = await startPlatform(options(db.url, 60_000));
    const expected = await store(2005, 2);
    await receiver.listen();
    await receiver.waitFor(() => receiver.acknowledgedPositions().length >= expected.length);
    expectExactlyRedeliveries(receiver, expected);
    await waitForPosition(id, expected.at(-1)!);
    await receiver.close();
  });
});
