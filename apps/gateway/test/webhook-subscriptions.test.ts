import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startPlatform, type Platform } from "@probestream/standalone";
import {
  createApiKey, createTestDatabase, loadFixtures, pingResult, pingWithRtts, postResults, registerProbe, restCall, WebhookReceiver,
  type TestDatabase, type TestProbe,
} from "@probestream/testkit";
import { POSITION_SQL } from "@probestream/db";

// What a running worker delivers as its webhook's settings change: pausing stops it and resuming
// goes on from its position; a PATCHed subscription is read from then on; and the subscription's
// type, address, prefix and value filters choose what is delivered, also where most of the log
// (more than one span of it) is other results.

const SECRET = "whsec-subscription-tests-01";
let db: TestDatabase;
let platform: Platform;
let key: string;
let probe: TestProbe;
let clock = Math.floor(Date.now() / 1000) - 7200;

const api = (method: string, path: string, body?: unknown) => restCall(platform.gatewayUrl, method, path, key, body);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function store(results: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < results.length; i += 250) {
    const res = await postResults(platform.ingestUrl, probe, results.slice(i, i + 250));
    expect(res.body.stored).toBe(Math.min(250, results.length - i));
  }
}

const pings = (msm: number, n: number) => Array.from({ length: n }, () => pingResult(probe.prbId, msm, clock++));

async function query<T>(sql: string, params: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

async function positionsOf(msm: number): Promise<string[]> {
  return (await query<{ p: string }>(`SELECT ${POSITION_SQL} AS p FROM results WHERE msm_id = $1 ORDER BY tx, id`, [msm])).map((r) => r.p);
}

async function waitForPosition(id: number, position: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await api("GET", `/api/v2/webhooks/${id}/`)).body.position !== position) {
    if (Date.now() > deadline) throw new Error(`webhook ${id} did not reach position ${position}`);
    await sleep(50);
  }
}

async function createHook(receiver: WebhookReceiver, subscription: Record<string, unknown>): Promise<number> {
  const res = await api("POST", "/api/v2/webhooks/", { url: receiver.url, secret: SECRET, subscription: { stream_type: "result", ...subscription } });
  expect(res.status).toBe(201);
  return res.body.id as number;
}

beforeAll(async () => {
  db = await createTestDatabase("webhook_subscriptions");
  key = (await createApiKey(db.url, "sam", ["webhooks:manage"])).key;
  platform = await startPlatform({
    databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, ingestAdminToken: "subs-admin",
    webhooks: {
      secretKey: Buffer.alloc(32, 6), allowPrivateTargets: true,
      settings: { batchSize: 50, batchWaitMs: 10, retryBaseMs: 50, retryMaxMs: 200, retryWindowMs: 60_000, leaseMs: 3000, idlePollMs: 200 },
      sender: { timeoutMs: 1500 },
    },
  });
  probe = await registerProbe(platform.ingestUrl, "subs-admin", 8201);
});

afterAll(async () => {
  await platform?.close();
  await db?.drop();
});

describe("webhook settings and filters, with a running worker", () => {
  it("stops delivering while paused, and resumes from its position with what was stored meanwhile", async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const id = await createHook(receiver, { msm: 4001 });
      await store(pings(4001, 3));
      const first = await positionsOf(4001);
      await receiver.waitFor(() => receiver.acknowledgedPositions().length >= 3);
      await waitForPosition(id, first.at(-1)!);

      expect((await api("PATCH", `/api/v2/webhooks/${id}/`, { state: "paused" })).body.state).toBe("paused");
      // The worker gives the lease back once it sees the webhook paused.
      await expect.poll(async () => (await query<{ o: string | null }>("SELECT lease_owner AS o FROM webhooks WHERE id = $1", [id]))[0]!.o).toBeNull();
      const seen = receiver.deliveries.length;
      await store(pings(4001, 4));
      await sleep(1500);
      expect(receiver.deliveries.length).toBe(seen);
      expect((await api("GET", `/api/v2/webhooks/${id}/`)).body).toMatchObject({ state: "paused", position: first.at(-1) });

      expect((await api("PATCH", `/api/v2/webhooks/${id}/`, { state: "active" })).body.state).toBe("active");
      const all = await positionsOf(4001);
      await receiver.waitFor(() => receiver.acknowledgedPositions().length >= all.length);
      expect(receiver.acknowledgedPositions()).toEqual(all);
    } finally {
      await receiver.close();
    }
  });

  it("picks up a PATCHed subscription while its worker runs", async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const id = await createHook(receiver, { msm: 4002 });
      await store(pings(4002, 2));
      const before = await positionsOf(4002);
      await receiver.waitFor(() => receiver.acknowledgedPositions().length >= 2);
      await waitForPosition(id, before.at(-1)!);

      const patched = await api("PATCH", `/api/v2/webhooks/${id}/`, { subscription: { stream_type: "result", msm: 4003 } });
      expect(patched.body.subscription).toMatchObject({ msm: 4003 });
      // The worker reloads the settings after the renewal the PATCH asks for, within a poll of the log.
      await sleep(1000);
      await store([...pings(4002, 3), ...pings(4003, 3)]);
      const wanted = await positionsOf(4003);
      await receiver.waitFor(() => receiver.acknowledgedPositions().length >= before.length + wanted.length);
      await waitForPosition(id, wanted.at(-1)!);
      expect(receiver.acknowledgedPositions()).toEqual([...before, ...wanted]);
      expect(receiver.deliveries.flatMap((d) => d.results.map((r) => r.msm_id))).toEqual([4002, 4002, 4003, 4003, 4003]);
    } finally {
      await receiver.close();
    }
  });

  it("deliver by type, source prefix, destination address and value, across spans of the log where most rows do not match", async () => {
    const msm = 4010;
    const receiver = await WebhookReceiver.start();
    try {
      const hooks = {
        type: await createHook(receiver, { msm, type: "traceroute" }),
        prefix: await createHook(receiver, { msm, sourcePrefix: "198.51.100.0/24" }),
        address: await createHook(receiver, { msm, destinationAddress: "203.0.113.9" }),
        value: await createHook(receiver, { msm, greaterThan: { min: 50 } }),
      };
      const traceroute = loadFixtures().find((f) => f.type === "traceroute")!.result;
      const matching = () => ({
        type: { ...traceroute, msm_id: msm, prb_id: probe.prbId, timestamp: clock++ },
        prefix: pingResult(probe.prbId, msm, clock++, { from: "198.51.100.7" }),
        address: pingResult(probe.prbId, msm, clock++, { dst_addr: "203.0.113.9" }),
        value: pingWithRtts(msm, probe.prbId, clock++, [60, 61, null]),
      });
      // Three of each, between more than a span (2,000 rows) of results no filter takes.
      const sent = [matching(), matching(), matching()];
      await store([...Object.values(sent[0]!), ...pings(msm, 1200), ...Object.values(sent[1]!), ...pings(msm, 1300),
        ...Object.values(sent[2]!), ...pings(msm, 5)]);
      const last = (await positionsOf(msm)).at(-1)!;
      for (const id of Object.values(hooks)) await waitForPosition(id, last);

      for (const [name, id] of Object.entries(hooks) as [keyof typeof hooks, number][]) {
        const got = receiver.of(id).filter(WebhookReceiver.acknowledged).flatMap((d) => d.results);
        expect(got.map((r) => r.timestamp), name).toEqual(sent.map((s) => s[name].timestamp));
        const positions = receiver.acknowledgedPositions(id);
        expect([...positions].sort(), name).toEqual(positions);
      }
      expect(receiver.of(hooks.value).flatMap((d) => d.results).every((r) => Number(r.min) > 50)).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});
