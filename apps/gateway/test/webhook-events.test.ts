import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as ioV4, type Socket } from "socket.io-client";
import { startPlatform, type Platform, type PlatformOptions } from "@probestream/standalone";
import {
  StreamClient, WebhookReceiver, createApiKey, createTestDatabase, pingResult, postResults, registerProbe, restCall,
  type Json, type TestDatabase, type TestProbe,
} from "@probestream/testkit";

// probestatus and metadata webhooks (issue 13): the events the streams send, delivered from their
// logs in the database (probe_status_events, measurement_events) in order, resumable across a
// restart, and metadata of a private measurement only to its owner's webhooks.

const ADMIN = "event-hooks-admin";
const SECRET = "whsec-event-hooks-0001";

let db: TestDatabase;
let platform: Platform;
let owner: { key: string; userId: number };
let stranger: { key: string; userId: number };
const probes: TestProbe[] = [];

const options = (databaseUrl: string): PlatformOptions => ({
  databaseUrl, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN,
  webhooks: {
    secretKey: Buffer.alloc(32, 5), allowPrivateTargets: true,
    settings: { batchSize: 3, batchWaitMs: 10, retryBaseMs: 50, retryMaxMs: 200, retryWindowMs: 60_000, leaseMs: 3000, idlePollMs: 200 },
    sender: { timeoutMs: 1500 },
  },
});
const api = (method: string, path: string, key: string, body?: unknown) => restCall(platform.gatewayUrl, method, path, key, body);

beforeAll(async () => {
  db = await createTestDatabase("webhook_events");
  owner = await createApiKey(db.url, "heidi", ["webhooks:manage", "results:read_private", "measurements:create"]);
  stranger = await createApiKey(db.url, "ivan", ["webhooks:manage", "results:read_private"]);
  platform = await startPlatform(options(db.url));
  for (const id of [81, 82]) probes.push(await registerProbe(platform.ingestUrl, ADMIN, id));
});

afterAll(async () => {
  await platform?.close();
  await db?.drop();
});

async function createHook(receiver: WebhookReceiver, subscription: Json, key = owner.key): Promise<number> {
  const res = await api("POST", "/api/v2/webhooks/", key, { url: receiver.url, secret: SECRET, subscription });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as number;
}

const acknowledged = (r: WebhookReceiver) => r.deliveries.filter(WebhookReceiver.acknowledged).flatMap((d) => d.results);
const streamed = (client: StreamClient, event: string) => client.events.filter((e) => e.event === event).map((e) => e.payload as Json);

/** A probe's session with the controller (ingest), open until closed. */
async function session(probe: TestProbe): Promise<Socket> {
  const socket = ioV4(platform.ingestUrl, {
    path: "/probe/socket.io", transports: ["websocket"], reconnection: false, auth: { prb_id: probe.prbId, secret: probe.secret, firmware: 5080 },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return socket;
}

describe("probestatus webhooks", () => {
  it("deliver the probe status events the stream sends, of one probe when asked, and resume after a restart", async () => {
    const all = await WebhookReceiver.start();
    const one = await WebhookReceiver.start();
    try {
      const client = new StreamClient(platform.gatewayUrl);
      await client.subscribe({ stream_type: "probestatus" });
      await createHook(all, { stream_type: "probestatus" });
      const id = await createHook(one, { stream_type: "probestatus", prb: 81 });
      for (const probe of probes) (await session(probe)).close();
      (await session(probes[0]!)).close();
      await expect.poll(() => streamed(client, "atlas_probestatus").length, { timeout: 10_000 }).toBe(6);
      const events = streamed(client, "atlas_probestatus");
      await all.waitFor(() => acknowledged(all).length >= 6);
      expect(acknowledged(all)).toEqual(events);
      await one.waitFor(() => acknowledged(one).length >= 4);
      expect(acknowledged(one)).toEqual(events.filter((e) => e.prb_id === 81));
      expect(one.deliveries[0]!.headers["x-probestream-event"]).toBe("probestatus");
      client.close();

      // Events stored while the receiver is gone and the service restarts are delivered afterwards, after the last acknowledged one.
      const before = acknowledged(one).length;
      await one.close();
      (await session(probes[0]!)).close();
      await platform.close();
      platform = await startPlatform(options(db.url));
      await one.listen();
      await one.waitFor(() => acknowledged(one).length >= before + 2);
      expect(acknowledged(one).slice(before).map((e) => e.event)).toEqual(["connect", "disconnect"]);
      // The worker saves the position once the receiver's answer is in: polled, not read once.
      const last = one.deliveries.filter(WebhookReceiver.acknowledged).at(-1)!.positions.at(-1);
      await expect.poll(async () => (await api("GET", `/api/v2/webhooks/${id}/`, owner.key)).body.position).toBe(last);
    } finally {
      await Promise.all([all.close(), one.close()]);
    }
  }, 60_000);

  it("refuses parameters that select nothing in probe status events, naming them", async () => {
    const receiver = await WebhookReceiver.start();
    try {
      for (const [subscription, pointer] of [
        [{ stream_type: "probestatus", msm: 1 }, "/subscription/msm"],
        [{ stream_type: "metadata", prb: 1 }, "/subscription/prb"],
        [{ stream_type: "metadata", equalsTo: { x: 1 } }, "/subscription/equalsTo"],
      ] as const) {
        const res = await api("POST", "/api/v2/webhooks/", owner.key, { url: receiver.url, secret: SECRET, subscription });
        expect(res.status, JSON.stringify(subscription)).toBe(400);
        expect(res.body.error.errors[0].source.pointer).toBe(pointer);
      }
      const id = await createHook(receiver, { stream_type: "result", msm: 5 });
      const moved = await api("PATCH", `/api/v2/webhooks/${id}/`, owner.key, { subscription: { stream_type: "metadata" } });
      expect(moved.status).toBe(400);
      expect(moved.body.error.errors[0].source.pointer).toBe("/subscription/stream_type");
      expect((await api("PATCH", `/api/v2/webhooks/${id}/`, owner.key, { subscription: { stream_type: "alert", msm: 5 } })).status).toBe(200);
    } finally {
      await receiver.close();
    }
  });
});

describe("metadata webhooks", () => {
  it("deliver the measurement events the stream sends; a private measurement's only to its owner's webhooks", async () => {
    const mine = await WebhookReceiver.start();
    const theirs = await WebhookReceiver.start();
    const oneMsm = await WebhookReceiver.start();
    try {
      const ownStream = new StreamClient(platform.gatewayUrl, { key: owner.key });
      await ownStream.subscribe({ stream_type: "metadata" });
      const otherStream = new StreamClient(platform.gatewayUrl, { key: stranger.key });
      await otherStream.subscribe({ stream_type: "metadata" });
      await createHook(mine, { stream_type: "metadata" });
      await createHook(theirs, { stream_type: "metadata" }, stranger.key);
      await createHook(oneMsm, { stream_type: "metadata", msm: 9601 }, stranger.key);

      // A public measurement first seen through its results, and a private one defined through the API.
      const probe = probes[1]!;
      expect((await postResults(platform.ingestUrl, probe, [pingResult(probe.prbId, 9601, Math.floor(Date.now() / 1000) - 60)])).status).toBe(200);
      const created = await api("POST", "/api/v2/measurements/", owner.key, {
        definitions: [{ type: "ping", af: 4, target: "192.0.2.9", description: "private", packets: 3, size: 48, is_public: false }],
        probes: [{ type: "probes", value: String(probe.prbId), requested: 1 }],
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const msm = (created.body.measurements as number[])[0]!;
      expect((await api("DELETE", `/api/v2/measurements/${msm}/`, owner.key)).status).toBe(204);
      await expect.poll(() => streamed(ownStream, "atlas_metadata").some((e) => e.msm_id === msm && e.event === "stopped"), { timeout: 10_000 }).toBe(true);
      await new Promise((r) => setTimeout(r, 700));

      const own = streamed(ownStream, "atlas_metadata");
      const other = streamed(otherStream, "atlas_metadata");
      expect(own.filter((e) => e.msm_id === msm).length).toBeGreaterThanOrEqual(2);
      expect(other).toEqual([expect.objectContaining({ msm_id: 9601, event: "created", is_public: true })]);
      await mine.waitFor(() => acknowledged(mine).length >= own.length);
      expect(acknowledged(mine)).toEqual(own);
      await theirs.waitFor(() => acknowledged(theirs).length >= 1);
      await oneMsm.waitFor(() => acknowledged(oneMsm).length >= 1);
      await new Promise((r) => setTimeout(r, 500));
      expect(acknowledged(theirs)).toEqual(other);
      expect(acknowledged(oneMsm)).toEqual(other);
      expect(mine.deliveries[0]!.headers["x-probestream-event"]).toBe("metadata");
      ownStream.close();
      otherStream.close();
    } finally {
      await Promise.all([mine.close(), theirs.close(), oneMsm.close()]);
    }
  }, 60_000);
});
