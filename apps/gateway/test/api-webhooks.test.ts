import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startPlatform, type Platform } from "@probestream/standalone";
import {
  createApiKey, createTestDatabase, pingResult, postResults, registerProbe, restCall, WebhookReceiver,
  type TestDatabase, type TestProbe,
} from "@probestream/testkit";
import { createPool, ResultReader } from "@probestream/db";
import { InProcessBus } from "@probestream/bus";
import { createGatewayApp, verifySignature } from "../src/index.js";
import { WebhookSender } from "../src/webhooks/sender.js";
import { publicOnlyLookup } from "../src/webhooks/target-guard.js";

// Webhooks through the REST API: rights, validation, SSRF refusals, secrets at rest, the test
// event, and the access rule (a private measurement reaches only its owner's webhooks).

const SECRET = "whsec-0123456789abcdef";
const secretKey = randomBytes(32);
let db: TestDatabase;
let platform: Platform;
let manager: string; // carol: webhooks:manage, results:read_private
let publicOnly: string; // carol: webhooks:manage without results:read_private
let reader: string; // carol: results:read_private only
let stranger: string; // dave: webhooks:manage
let probe: TestProbe;
let receiver: WebhookReceiver;

const api = (method: string, path: string, key?: string, body?: unknown) => restCall(platform.gatewayUrl, method, path, key, body);
const hook = (url: string, subscription: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ({ url, secret: SECRET, subscription: { stream_type: "result", ...subscription }, ...extra });

beforeAll(async () => {
  db = await createTestDatabase("api_webhooks");
  manager = (await createApiKey(db.url, "carol", ["webhooks:manage", "results:read_private"])).key;
  publicOnly = (await createApiKey(db.url, "carol", ["webhooks:manage"])).key;
  reader = (await createApiKey(db.url, "carol", ["results:read_private"])).key;
  stranger = (await createApiKey(db.url, "dave", ["webhooks:manage"])).key;
  platform = await startPlatform({
    databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, ingestAdminToken: "hooks-admin",
    webhooks: { secretKey, allowPrivateTargets: true, settings: { batchSize: 50, batchWaitMs: 20, leaseMs: 3000, idlePollMs: 200 }, sender: { timeoutMs: 1500 } },
  });
  probe = await registerProbe(platform.ingestUrl, "hooks-admin", 7001);
  receiver = await WebhookReceiver.start();
});

afterAll(async () => {
  await platform?.close();
  await receiver?.close();
  await db?.drop();
});

describe("webhooks API", () => {
  it("needs a key with webhooks:manage", async () => {
    expect((await api("GET", "/api/v2/webhooks/")).status).toBe(401);
    const refused = await api("POST", "/api/v2/webhooks/", reader, hook(receiver.url, {}));
    expect(refused.status).toBe(403);
    expect(refused.body.error.detail).toMatch(/webhooks:manage/);
  });

  it("refuses bad input naming the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...hook("ftp://example.net/x", {}) }, "/url"],
      [{ ...hook(receiver.url, {}), secret: "short" }, "/secret"],
      [{ url: receiver.url, subscription: { stream_type: "result" } }, "/secret"],
      [hook(receiver.url, { msm: "one" }), "/subscription/msm"],
      [hook(receiver.url, { bogus: 1 }), "/subscription/bogus"],
      [hook(receiver.url, { buffering: true }), "/subscription/buffering"],
      [hook(receiver.url, { stream_type: "probestatus", msm: 1 }), "/subscription/msm"],
      [hook(receiver.url, { sourcePrefix: "10.0.0.0/99" }), "/subscription/sourcePrefix"],
      [{ ...hook(receiver.url, {}), extra: 1 }, "/extra"],
    ];
    for (const [body, pointer] of cases) {
      const res = await api("POST", "/api/v2/webhooks/", manager, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.errors[0].source.pointer, JSON.stringify(res.body)).toBe(pointer);
    }
    const patched = await api("PATCH", "/api/v2/webhooks/1/", manager, {});
    expect(patched.status).toBe(400);
  });

  it("creates, lists, pauses, resumes and deletes, each user seeing only their own", async () => {
    const created = await api("POST", "/api/v2/webhooks/", manager, hook(receiver.url, { msm: 1001, greaterThan: { avg: 5 } }, { description: "slow" }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: receiver.url, state: "active", description: "slow", subscription: { msm: 1001 } });
    expect(created.body.secret).toBeUndefined();
    const id = created.body.id as number;
    const listed = await api("GET", "/api/v2/webhooks/", manager);
    expect(listed.body.results.map((w: { id: number }) => w.id)).toContain(id);
    expect((await api("GET", `/api/v2/webhooks/${id}/`, stranger)).status).toBe(404);
    expect((await api("GET", "/api/v2/webhooks/", stranger)).body.count).toBe(0);

    expect((await api("PATCH", `/api/v2/webhooks/${id}/`, manager, { state: "paused" })).body.state).toBe("paused");
    expect((await api("PATCH", `/api/v2/webhooks/${id}/`, manager, { state: "active", subscription: { stream_type: "result", msm: 1002 } })).body)
      .toMatchObject({ state: "active", subscription: { stream_type: "result", msm: 1002 } });
    const resume = await api("PATCH", `/api/v2/webhooks/${id}/`, manager, { subscription: { stream_type: "result", resumeFrom: "1" } });
    expect(resume.body.error.errors[0].source.pointer).toBe("/subscription/resumeFrom");
    expect((await api("DELETE", `/api/v2/webhooks/${id}/`, stranger)).status).toBe(404);
    expect((await api("DELETE", `/api/v2/webhooks/${id}/`, manager)).status).toBe(204);
    expect((await api("GET", `/api/v2/webhooks/${id}/`, manager)).status).toBe(404);
  });

  it("stores the secret sealed, not in clear", async () => {
    const created = await api("POST", "/api/v2/webhooks/", manager, hook(receiver.url, { msm: 4242 }));
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ sealed: Buffer }>("SELECT secret_sealed AS sealed FROM webhooks WHERE id = $1", [created.body.id]);
      expect(rows[0]!.sealed.includes(Buffer.from(SECRET))).toBe(false);
      expect(rows[0]!.sealed.includes(Buffer.from(SECRET.slice(0, 8)))).toBe(false);
    } finally {
      await client.end();
    }
  });

  it("sends a signed test event and lists it among the deliveries", async () => {
    const created = await api("POST", "/api/v2/webhooks/", manager, hook(receiver.url, { msm: 4343 }));
    const before = receiver.deliveries.length;
    const test = await api("POST", `/api/v2/webhooks/${created.body.id}/test/`, manager);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ event: "test", outcome: "delivered", status_code: 200, results: 0 });
    const got = receiver.deliveries[before]!;
    expect(got.headers["x-probestream-event"]).toBe("test");
    expect(got.headers["x-probestream-webhook"]).toBe(String(created.body.id));
    expect(got.headers["x-probestream-delivery"]).toBe(test.body.delivery_id);
    expect(verifySignature(SECRET, String(got.headers["x-probestream-signature"]), got.body)).toBe(true);
    expect(verifySignature("another-secret-1234", String(got.headers["x-probestream-signature"]), got.body)).toBe(false);
    expect(verifySignature(SECRET, String(got.headers["x-probestream-signature"]), `${got.body} `)).toBe(false);
    const deliveries = await api("GET", `/api/v2/webhooks/${created.body.id}/deliveries/`, manager);
    expect(deliveries.body.results[0]).toMatchObject({ id: test.body.id, event: "test", outcome: "delivered", status_code: 200 });
  });

  it("delivers a private measurement only to its owner's webhooks whose key may read it", async () => {
    const now = Math.floor(Date.now() / 1000);
    const stored = await postResults(platform.ingestUrl, probe, [
      pingResult(7001, 1501, now - 3), pingResult(7001, 1502, now - 2), pingResult(7001, 1501, now - 1), pingResult(7001, 1502, now),
    ]);
    expect(stored.body.stored).toBe(4);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query("UPDATE measurements SET is_public = false, owner_id = (SELECT id FROM users WHERE name = 'carol') WHERE id = 1501");
    } finally {
      await client.end();
    }
    const receivers = await Promise.all([0, 1, 2].map(() => WebhookReceiver.start()));
    const [ownerGot, publicOnlyGot, strangerGot] = receivers as [WebhookReceiver, WebhookReceiver, WebhookReceiver];
    try {
      for (const [key, r] of [[manager, ownerGot], [publicOnly, publicOnlyGot], [stranger, strangerGot]] as const) {
        // From the start of the log: every stored result of probe 7001 the key may read.
        const created = await api("POST", "/api/v2/webhooks/", key, hook(r.url, { prb: 7001, resumeFrom: "0" }));
        expect(created.status).toBe(201);
      }
      await ownerGot.waitFor(() => ownerGot.acknowledgedPositions().length >= 4);
      await publicOnlyGot.waitFor(() => publicOnlyGot.acknowledgedPositions().length >= 2);
      await strangerGot.waitFor(() => strangerGot.acknowledgedPositions().length >= 2);
      // Give a wrongly routed private result time to arrive.
      await new Promise((r) => setTimeout(r, 600));
      const msms = (r: WebhookReceiver) => r.deliveries.flatMap((d) => d.results.map((x) => x.msm_id));
      expect(msms(ownerGot)).toEqual([1501, 1502, 1501, 1502]);
      expect(msms(publicOnlyGot)).toEqual([1502, 1502]);
      expect(msms(strangerGot)).toEqual([1502, 1502]);
      const first = ownerGot.deliveries[0]!;
      expect(first.headers["x-probestream-first-position"]).toBe(first.positions[0]);
      expect(first.headers["x-probestream-last-position"]).toBe(first.positions[first.positions.length - 1]);
      expect(verifySignature(SECRET, String(first.headers["x-probestream-signature"]), first.body)).toBe(true);
    } finally {
      await Promise.all(receivers.map((r) => r.close()));
    }
  });
});

describe("webhooks of a revoked key", () => {
  it("stop delivering when their key is revoked", async () => {
    const temporary = (await createApiKey(db.url, "carol", ["webhooks:manage"])).key;
    const got = await WebhookReceiver.start();
    try {
      const created = await api("POST", "/api/v2/webhooks/", temporary, hook(got.url, { msm: 1601 }));
      expect(created.status).toBe(201);
      const now = Math.floor(Date.now() / 1000);
      await postResults(platform.ingestUrl, probe, [pingResult(7001, 1601, now - 20)]);
      await got.waitFor(() => got.acknowledgedPositions().length >= 1);
      const self = (await api("GET", "/api/v2/keys/current/", temporary)).body.id as number;
      expect((await api("DELETE", `/api/v2/keys/${self}/`, temporary)).status).toBe(204);
      // The worker notices at its next lease renewal (a third of the lease, 1 s here).
      await new Promise((r) => setTimeout(r, 1500));
      await postResults(platform.ingestUrl, probe, [pingResult(7001, 1601, now - 19)]);
      await new Promise((r) => setTimeout(r, 1000));
      expect(got.allPositions()).toHaveLength(1);
    } finally {
      await got.close();
    }
  });
});

describe("target safety (private targets not allowed)", () => {
  const sender = new WebhookSender({ timeoutMs: 2000, maxResponseBytes: 1024, allowPrivateTargets: false });
  afterAll(async () => {
    await sender.close();
  });

  it("refuses loopback, private and link-local targets at creation, naming url", async () => {
    const strictPool = createPool(db.url, 2);
    const bus = new InProcessBus();
    const gateway = await createGatewayApp(
      { pool: strictPool, reader: new ResultReader(strictPool), bus, webhooks: { secretKey, worker: false } },
      false,
    );
    try {
      for (const url of ["http://127.0.0.1:9/x", "http://[::1]/x", "http://169.254.169.254/latest", "http://10.1.2.3/", "http://192.168.1.1/",
        "http://[::ffff:127.0.0.1]/", "http://localhost:8080/", "http://[fe80::1]/", "http://0.0.0.0/"]) {
        const res = await gateway.inject({
          method: "POST", url: "/api/v2/webhooks/", headers: { authorization: `Key ${manager}`, "content-type": "application/json" },
          payload: JSON.stringify(hook(url, {})),
        });
        expect(res.statusCode, url).toBe(400);
        const body = res.json<{ error: { errors: { source: { pointer: string }; detail: string }[] } }>();
        expect(body.error.errors[0]!.source.pointer, url).toBe("/url");
        expect(body.error.errors[0]!.detail, url).toMatch(/refused|private/);
      }
    } finally {
      await gateway.close();
      await bus.close();
      await strictPool.end();
    }
  });

  it("re-checks a name's addresses after DNS resolution, at each connection", async () => {
    // The lookup the sender's connections use: a name resolving to loopback is refused after resolution.
    const refusal = await new Promise<Error | null>((resolve) => publicOnlyLookup("localhost", {}, (err) => resolve(err)));
    expect(refusal?.message).toMatch(/refused: (127\.0\.0\.1|::1)/);
    const outcome = await sender.post(`http://localhost:${new URL(receiver.url).port}/hook`, {}, "{}");
    expect(outcome).toMatchObject({ ok: false, statusCode: null });
    expect(outcome.error).toMatch(/refused/);
  });

  it("follows no redirect: a 3xx is a failed attempt", async () => {
    const loose = new WebhookSender({ timeoutMs: 2000, maxResponseBytes: 1024, allowPrivateTargets: true });
    const redirecting = await WebhookReceiver.start(() => ({ status: 302, headers: { location: "http://169.254.169.254/" } }));
    try {
      const outcome = await loose.post(redirecting.url, {}, JSON.stringify({ positions: [], results: [] }));
      expect(outcome).toMatchObject({ ok: false, statusCode: 302 });
      expect(redirecting.deliveries).toHaveLength(1);
    } finally {
      await redirecting.close();
      await loose.close();
    }
  });
});
