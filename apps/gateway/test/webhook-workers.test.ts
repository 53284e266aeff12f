import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { Registry } from "prom-client";
import { startPlatform, type Platform } from "@probestream/standalone";
import {
  createApiKey, createTestDatabase, pingResult, postResults, registerProbe, restCall, WebhookReceiver,
  type TestDatabase, type TestProbe,
} from "@probestream/testkit";
import { createPool, POSITION_SQL, type Pool } from "@probestream/db";
import { busNamespaceOf, createBus, type MessageBus } from "@probestream/bus";
import { Webhooks, type WebhookOptions } from "../src/webhooks/index.js";

// Several delivery workers on one database (each as a gateway hosts it): a worker whose lease
// renewals stall stops POSTing before its lease can expire, and workers share the webhooks fairly.
// Either way one webhook is never POSTed by two workers at once, and results arrive in order.

const REDIS_URL = "redis://127.0.0.1:6379";
const SECRET = "whsec-worker-tests-0001";
let db: TestDatabase;
let platform: Platform;
let pool: Pool;
let bus: MessageBus;
let key: string;
let probe: TestProbe;
let clock = Math.floor(Date.now() / 1000) - 3600;
const workers: Webhooks[] = [];

const LEASE_MS = 1500;
const options: WebhookOptions = {
  secretKey: Buffer.alloc(32, 4), allowPrivateTargets: true,
  settings: { batchSize: 10, batchWaitMs: 10, retryBaseMs: 50, retryMaxMs: 200, retryWindowMs: 60_000, leaseMs: LEASE_MS, idlePollMs: 100 },
  sender: { timeoutMs: 700 },
};
const api = (method: string, path: string, body?: unknown) => restCall(platform.gatewayUrl, method, path, key, body);

/** A delivery worker as a gateway hosts it, with its own metrics. */
async function startWorker(): Promise<Webhooks> {
  const webhooks = new Webhooks(pool, bus, new Registry(), pino({ enabled: false }), options);
  await webhooks.start();
  workers.push(webhooks);
  return webhooks;
}

async function delivered(w: Webhooks): Promise<number> {
  return (await w.poster.metrics.results.get()).values[0]?.value ?? 0;
}

/** Stores 2 results of `msm` every 50 ms until stopped. */
function storeSteadily(msm: number): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      const res = await postResults(platform.ingestUrl, probe, [pingResult(probe.prbId, msm, clock++), pingResult(probe.prbId, msm, clock++)]);
      expect(res.body.stored).toBe(2);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return { stop: async () => { running = false; await loop; } };
}

async function positionsOf(msm: number): Promise<string[]> {
  const { rows } = await pool.query<{ p: string }>(`SELECT ${POSITION_SQL} AS p FROM results WHERE msm_id = $1 ORDER BY tx, id`, [msm]);
  return rows.map((r) => r.p);
}

async function leaseOwners(ids: number[]): Promise<Map<string | null, number>> {
  const { rows } = await pool.query<{ owner: string | null }>("SELECT lease_owner AS owner FROM webhooks WHERE id = ANY($1)", [ids]);
  const counts = new Map<string | null, number>();
  for (const r of rows) counts.set(r.owner, (counts.get(r.owner) ?? 0) + 1);
  return counts;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function createHook(receiver: WebhookReceiver, msm: number): Promise<number> {
  const res = await api("POST", "/api/v2/webhooks/", { url: receiver.url, secret: SECRET, subscription: { stream_type: "result", msm } });
  expect(res.status).toBe(201);
  return res.body.id as number;
}

/** Every stored result acknowledged, first seen in log order. */
function expectInOrder(receiver: WebhookReceiver, id: number, expected: string[]): void {
  expect([...new Set(receiver.acknowledgedPositions(id))]).toEqual(expected);
}

beforeAll(async () => {
  db = await createTestDatabase("webhook_workers");
  key = (await createApiKey(db.url, "wanda", ["webhooks:manage"])).key;
  // The platform serves the API and ingest; the workers under test run beside it on the same database and bus.
  platform = await startPlatform({
    databaseUrl: db.url, redisUrl: REDIS_URL, gatewayPort: 0, ingestPort: 0, ingestAdminToken: "workers-admin",
    webhooks: { ...options, worker: false },
  });
  pool = createPool(db.url, 10);
  bus = createBus(REDIS_URL, busNamespaceOf(db.url));
  probe = await registerProbe(platform.ingestUrl, "workers-admin", 8101);
});

afterAll(async () => {
  for (const w of workers) await w.stop();
  await bus?.close();
  await pool?.end();
  await platform?.close();
  await db?.drop();
});

describe("several webhook workers", () => {
  it("stops POSTing when its lease renewals stall, before another worker may take the webhook over", async () => {
    const receiver = await WebhookReceiver.start(() => ({ status: 200, delayMs: 500 }));
    const a = await startWorker();
    const id = await createHook(receiver, 3001);
    const storing = storeSteadily(3001);
    try {
      await receiver.waitFor(() => receiver.acknowledgedPositions(id).length >= 6);
      // A's database calls for its leases fail from now on; its lease runs out within LEASE_MS.
      const stalled = () => Promise.reject(new Error("lease renewal stalled"));
      a.store.renew = stalled;
      a.store.claim = stalled;
      const b = await startWorker();
      await until("the other worker delivering", async () => (await delivered(b)) >= 6);
      await storing.stop();
      const expected = await positionsOf(3001);
      await receiver.waitFor(() => new Set(receiver.acknowledgedPositions(id)).size >= expected.length);
      expectInOrder(receiver, id, expected);
      expect(receiver.overlaps()).toEqual([]);
      expect((await a.poster.metrics.leased.get()).values[0]?.value).toBe(0);
    } finally {
      await storing.stop();
      for (const w of workers.splice(0)) await w.stop();
      await receiver.close();
      await api("DELETE", `/api/v2/webhooks/${id}/`);
    }
  });

  it("share the webhooks: a worker started later takes half, each delivered by one worker at a time, in order", async () => {
    const receiver = await WebhookReceiver.start(() => ({ status: 200, delayMs: 20 }));
    const a = await startWorker();
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(await createHook(receiver, 3002));
    const storing = storeSteadily(3002);
    try {
      await until("the first worker delivering all", async () => (await leaseOwners(ids)).get(a.worker!.owner) === 6);
      await receiver.waitFor(() => ids.every((id) => receiver.acknowledgedPositions(id).length > 0));
      const b = await startWorker();
      await until("the webhooks shared 3 and 3", async () => {
        const owners = await leaseOwners(ids);
        return owners.get(a.worker!.owner) === 3 && owners.get(b.worker!.owner) === 3;
      });
      const before = await Promise.all([delivered(a), delivered(b)]);
      await new Promise((r) => setTimeout(r, 1000));
      await storing.stop();
      const expected = await positionsOf(3002);
      await receiver.waitFor(() => ids.every((id) => new Set(receiver.acknowledgedPositions(id)).size >= expected.length));
      // Both deliver after the split, and it holds (the leases stay where they went).
      expect(await delivered(a)).toBeGreaterThan(before[0]);
      expect(await delivered(b)).toBeGreaterThan(before[1]);
      expect(await leaseOwners(ids)).toEqual(new Map([[a.worker!.owner, 3], [b.worker!.owner, 3]]));
      for (const id of ids) expectInOrder(receiver, id, expected);
      expect(receiver.overlaps()).toEqual([]);
    } finally {
      await storing.stop();
      for (const w of workers.splice(0)) await w.stop();
      await receiver.close();
    }
  });
});
