import { lookup } from "node:dns/promises";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startPlatform, type Platform } from "@probestream/standalone";
import {
  createApiKey, createTestDatabase, pingResult, postResults, registerProbe, restCall, WebhookReceiver,
  type TestDatabase, type TestProbe,
} from "@probestream/testkit";
import { isPublicAddress } from "../src/webhooks/target-guard.js";

// Webhook targets when private ones are not allowed: IPv6 addresses that carry a private IPv4
// address are refused as that address, and a name resolving (through the system resolver) to
// loopback is refused at creation and again when a worker connects.

const SECRET = "whsec-target-guard-tests-01";
let db: TestDatabase;
let platform: Platform;
let key: string;
let probe: TestProbe;
let receiver: WebhookReceiver;

const api = (method: string, path: string, body?: unknown) => restCall(platform.gatewayUrl, method, path, key, body);
const hook = (url: string, msm = 5001) => ({ url, secret: SECRET, subscription: { stream_type: "result", msm } });
// This machine's name, when the system resolver answers it with only private or loopback addresses (/etc/hosts).
const localName = hostname();
const localNameIsPrivate = await lookup(localName, { all: true })
  .then((addresses) => addresses.length > 0 && addresses.every((a) => !isPublicAddress(a.address)), () => false);

beforeAll(async () => {
  db = await createTestDatabase("webhook_target_guard");
  key = (await createApiKey(db.url, "tess", ["webhooks:manage"])).key;
  platform = await startPlatform({
    databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, ingestAdminToken: "guard-admin",
    webhooks: {
      secretKey: Buffer.alloc(32, 8), allowPrivateTargets: false,
      settings: { batchSize: 10, batchWaitMs: 10, retryBaseMs: 50, retryMaxMs: 200, retryWindowMs: 60_000, leaseMs: 3000, idlePollMs: 200 },
      sender: { timeoutMs: 1500 },
    },
  });
  probe = await registerProbe(platform.ingestUrl, "guard-admin", 8301);
  receiver = await WebhookReceiver.start();
});

afterAll(async () => {
  await receiver?.close();
  await platform?.close();
  await db?.drop();
});

describe("webhook target guard", () => {
  it("refuses IPv4-compatible (::/96), IPv4-mapped and 6to4 (2002::/16) addresses of private IPv4 addresses, local NAT64 and Teredo", () => {
    for (const address of ["::7f00:1", "::127.0.0.1", "::a00:1", "::ffff:7f00:1", "::ffff:127.0.0.1", "::ffff:a9fe:a9fe",
      "2002:7f00:1::1", "2002:c0a8:101::", "2002:a00:1:1::2", "2002:a9fe:a9fe::1", "::", "::1",
      "64:ff9b:1::a00:1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    // The same forms of public IPv4 addresses, and plain public addresses, stay allowed.
    for (const address of ["2002:808:808::1", "::ffff:8.8.8.8", "::808:808", "8.8.8.8", "2606:4700:4700::1111"]) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });

  it("refuses such literal addresses at creation, naming url", async () => {
    for (const url of ["http://[::7f00:1]:9/hook", "http://[::ffff:7f00:1]/", "http://[2002:7f00:1::1]/", "http://[2002:c0a8:101::]/"]) {
      const res = await api("POST", "/api/v2/webhooks/", hook(url));
      expect(res.status, url).toBe(400);
      expect(res.body.error.errors[0].source.pointer, url).toBe("/url");
      expect(res.body.error.errors[0].detail, url).toMatch(/refused/);
    }
  });

  it.runIf(localNameIsPrivate)(`refuses a name resolving to loopback (${localName}) at creation`, async () => {
    const res = await api("POST", "/api/v2/webhooks/", hook(`http://${localName}:${new URL(receiver.url).port}/hook`));
    expect(res.status).toBe(400);
    expect(res.body.error.errors[0].source.pointer).toBe("/url");
    expect(res.body.error.errors[0].detail).toMatch(/refused: (127\.|::1|10\.|192\.168\.|172\.)/);
  });

  it.runIf(localNameIsPrivate)(`refuses it when a worker connects, for a webhook whose name resolves to loopback only later (${localName})`, async () => {
    // Created with a public address; then its URL names this machine, as a name whose DNS changed after the check would.
    const created = await api("POST", "/api/v2/webhooks/", hook("http://192.0.2.10/hook", 5002));
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    await api("PATCH", `/api/v2/webhooks/${id}/`, { state: "paused" });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query("UPDATE webhooks SET url = $2 WHERE id = $1", [id, `http://${localName}:${new URL(receiver.url).port}/hook`]);
    } finally {
      await client.end();
    }
    await api("PATCH", `/api/v2/webhooks/${id}/`, { state: "active" });
    const res = await postResults(platform.ingestUrl, probe, [pingResult(probe.prbId, 5002, Math.floor(Date.now() / 1000) - 60)]);
    expect(res.body.stored).toBe(1);
    await expect.poll(async () => (await api("GET", `/api/v2/webhooks/${id}/deliveries/`)).body.results.length).toBeGreaterThanOrEqual(2);
    const attempts = (await api("GET", `/api/v2/webhooks/${id}/deliveries/`)).body.results as { outcome: string; status_code: number | null; error: string }[];
    for (const a of attempts) expect(a).toMatchObject({ outcome: "failed", status_code: null, error: expect.stringMatching(/refused: (127\.|::1)/) });
    expect(receiver.deliveries).toHaveLength(0);
  });
});
