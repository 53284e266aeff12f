import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Fastify, { type FastifyInstance } from "fastify";
import { startPlatform, type Platform } from "@probestream/standalone";
import {
  createApiKey, createTestDatabase, pingResult, postResults, registerProbe, restCall, WebhookReceiver,
  type TestDatabase, type TestProbe,
} from "@probestream/testkit";
import { createPool, type Pool } from "@probestream/db";
import { busNamespaceOf, createBus, type MessageBus } from "@probestream/bus";
import { webhookWorkerPlugin } from "../src/webhooks/plugin.js";
import type { WebhookOptions } from "../src/webhooks/index.js";

// The delivery worker in a process of its own (the plugin webhooks-main.ts hosts): the gateway
// serves the webhook API without delivering (WEBHOOK_WORKER=0), the worker delivers, woken by the
// ingest's commits on the bus, and tells its webhooks' states on its own /metrics.

const REDIS_URL = "redis://127.0.0.1:6379";
const ADMIN = "test-admin-token";
const webhookOptions = (worker: boolean): WebhookOptions => ({
  secretKey: Buffer.alloc(32, 6), allowPrivateTargets: true, worker,
  // Renewals every 10 s: a webhook taken sooner was announced on the bus.
  settings: { batchSize: 10, batchWaitMs: 10, retryBaseMs: 50, retryMaxMs: 200, retryWindowMs: 60_000, leaseMs: 30_000, idlePollMs: 5000 },
  sender: { timeoutMs: 1000 },
});

let db: TestDatabase;
let platform: Platform;
let pool: Pool;
let bus: MessageBus;
let worker: FastifyInstance;
let key: string;
let probe: TestProbe;

beforeAll(async () => {
  db = await createTestDatabase("webhook_worker_alone");
  platform = await startPlatform({
    databaseUrl: db.url, redisUrl: REDIS_URL, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN, webhooks: webhookOptions(false),
  });
  key = (await createApiKey(db.url, "walt", ["webhooks:manage"])).key;
  probe = await registerProbe(platform.ingestUrl, ADMIN, 91);
  pool = createPool(db.url, 4);
  bus = createBus(REDIS_URL, busNamespaceOf(db.url));
  worker = Fastify({ logger: false });
  await worker.register(webhookWorkerPlugin, { pool, bus, webhooks: webhookOptions(true) });
  await worker.ready();
});

afterAll(async () => {
  await worker?.close();
  await bus?.close();
  await pool?.end();
  await platform?.close();
  await db?.drop();
});

describe("a webhook worker of its own", () => {
  it("takes a webhook the gateway's API announces at once, delivers woken by commits, and exposes its webhooks' states", async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const created = await restCall(platform.gatewayUrl, "POST", "/api/v2/webhooks/", key, {
        url: receiver.url, secret: "whsec-alone-0001", subscription: { stream_type: "result", msm: 9901 },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const createdAt = Date.now();
      const t = Math.floor(Date.now() / 1000) - 60;
      const results = [0, 1, 2].map((i) => pingResult(probe.prbId, 9901, t + i));
      const posted = Date.now();
      expect((await postResults(platform.ingestUrl, probe, results)).status).toBe(200);
      await receiver.waitFor(() => receiver.deliveries.filter(WebhookReceiver.acknowledged).flatMap((d) => d.results).length >= 3);
      // Taken when the gateway announced it (not at the next renewal, 10 s) and woken by the commit (not its poll, 5 s).
      expect(Date.now() - createdAt).toBeLessThan(4000);
      expect(Date.now() - posted).toBeLessThan(4000);
      const got = receiver.deliveries.filter(WebhookReceiver.acknowledged).flatMap((d) => d.results);
      expect(got.map((r) => r.timestamp)).toEqual([t, t + 1, t + 2]);
      const metrics = await worker.inject({ method: "GET", url: "/metrics" });
      expect(metrics.body).toMatch(/^webhooks\{state="active"[^}]*\} 1$/m);
    } finally {
      await receiver.close();
    }
  });
});
