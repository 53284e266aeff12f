import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlatform, type Platform, type PlatformOptions } from "@probestream/standalone";
import { STATUS_CHECK_DEFAULTS, StatusCheckState } from "@probestream/types/status-check";
import {
  StreamClient, WebhookReceiver, createApiKey, createTestDatabase, pingWithRtts as ping, postResults, registerProbe, restCall,
  type Json, type ReceiverBehaviour, type TestDatabase, type TestProbe,
} from "@probestream/testkit";

// Alert events by webhook (issue 15): the worker folds the committed log with the status check's
// fold and delivers the same `atlas_alert` events an alert stream with the same parameters sends,
// at least once and in order, across a restart in the middle of a delivery.

const ADMIN = "alert-hooks-admin";
const SECRET = "whsec-alert-hooks-0001";
const T0 = 1_750_000_000;
const PARAMS = { lookback: 3, median_rtt_threshold: 30, permitted_total_alerts: 1 };

let db: TestDatabase;
let platform: Platform;
let key: string;
const probes: TestProbe[] = [];

const options = (databaseUrl: string): PlatformOptions => ({
  databaseUrl, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN,
  webhooks: {
    secretKey: Buffer.alloc(32, 9), allowPrivateTargets: true,
    settings: { batchSize: 2, batchWaitMs: 10, retryBaseMs: 50, retryMaxMs: 200, retryWindowMs: 60_000, leaseMs: 3000, idlePollMs: 200 },
    sender: { timeoutMs: 1500 },
  },
});
const api = (method: string, path: string, body?: unknown) => restCall(platform.gatewayUrl, method, path, key, body);

beforeAll(async () => {
  db = await createTestDatabase("webhook_alerts");
  key = (await createApiKey(db.url, "frank", ["webhooks:manage"])).key;
  platform = await startPlatform(options(db.url));
  for (const id of [71, 72, 73, 74]) probes.push(await registerProbe(platform.ingestUrl, ADMIN, id));
});

afterAll(async () => {
  await platform?.close();
  await db?.drop();
});

/**
 * Rounds of one result per probe: losses, recoveries and RTT spikes over the median, so that probes
 * and the global alert (more than one probe alerting) go on and off many times.
 */
function rounds(msm: number, n: number): Json[][] {
  const out: Json[][] = [];
  for (let round = 0; round < n; round++) {
    out.push(probes.map(({ prbId }, i) => {
      const phase = (round + i) % 4;
      const rtts = phase === 0 ? [null, null, null] : phase === 2 && round > 2 ? [90, 95, 99] : [10 + i, 11 + i, 12 + i];
      return ping(msm, prbId, T0 + round * 240, rtts);
    }));
  }
  return out;
}

async function post(results: Json[]): Promise<void> {
  for (const probe of probes) {
    const own = results.filter((r) => r.prb_id === probe.prbId);
    if (own.length === 0) continue;
    const { status, body } = await postResults(platform.ingestUrl, probe, own);
    if (status !== 200) throw new Error(`${status} ${JSON.stringify(body)}`);
  }
}

async function createHook(receiver: WebhookReceiver, subscription: Json): Promise<number> {
  const res = await api("POST", "/api/v2/webhooks/", { url: receiver.url, secret: SECRET, subscription });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as number;
}

/** The events of acknowledged deliveries, in arrival order, and every event received (re-deliveries too). */
const acknowledged = (r: WebhookReceiver) => r.deliveries.filter(WebhookReceiver.acknowledged).flatMap((d) => d.results);

async function streamAlerts(msm: number, params: Json): Promise<{ client: StreamClient; alerts: () => Json[] }> {
  const client = new StreamClient(platform.gatewayUrl);
  await client.subscribe({ stream_type: "alert", msm, ...params });
  return { client, alerts: () => client.events.filter((e) => e.event === "atlas_alert").map((e) => e.payload as Json) };
}

/**
 * How many alert events the status check's fold makes of these rounds, posted in this order: the count the
 * alert stream reaches once everything posted was routed (waiting for it to stop growing undercounts on a busy box).
 */
function alertCount(posted: Json[][]): number {
  const state = new StatusCheckState({ ...STATUS_CHECK_DEFAULTS, lookback: PARAMS.lookback, medianRttThreshold: PARAMS.median_rtt_threshold, permittedTotalAlerts: PARAMS.permitted_total_alerts });
  let seq = 0;
  return posted.flat().filter((result) => state.add(result, ++seq) !== null).length;
}

describe("alert events by webhook", () => {
  it("delivers the same sequence of atlas_alert events as an alert stream with the same parameters", async () => {
    const msm = 9501;
    const receiver = await WebhookReceiver.start();
    const probeOnly = await WebhookReceiver.start();
    try {
      const { client, alerts } = await streamAlerts(msm, PARAMS);
      const one = await streamAlerts(msm, { ...PARAMS, prb: 72 });
      const id = await createHook(receiver, { stream_type: "alert", msm, ...PARAMS });
      await createHook(probeOnly, { stream_type: "alert", msm, ...PARAMS, prb: 72 });
      const posted = rounds(msm, 8);
      for (const round of posted) await post(round);
      await expect.poll(() => alerts().length).toBe(alertCount(posted));
      expect(alerts().length).toBeGreaterThan(8);
      expect(alerts().some((a) => a.global_alert === true) && alerts().some((a) => a.global_alert === false)).toBe(true);
      await receiver.waitFor(() => acknowledged(receiver).length >= alerts().length);
      expect(acknowledged(receiver)).toEqual(alerts());
      await probeOnly.waitFor(() => acknowledged(probeOnly).length >= one.alerts().length);
      expect(acknowledged(probeOnly)).toEqual(one.alerts());
      // Probe 72's changes, and each change of another probe that turned the global alert on or off.
      const flips = alerts().filter((a, i) => a.global_alert !== (i === 0 ? false : alerts()[i - 1]!.global_alert));
      expect(one.alerts()).toEqual(alerts().filter((a) => a.prb_id === 72 || flips.includes(a)));
      expect(one.alerts().some((a) => a.prb_id === 72) && one.alerts().some((a) => a.prb_id !== 72)).toBe(true);

      // Each delivery names its kind, and its positions are the positions of the results that changed the state.
      const first = receiver.deliveries[0]!;
      expect(first.headers["x-probestream-event"]).toBe("alert");
      expect(JSON.parse(first.body)).toMatchObject({ event: "alert", first_position: first.positions[0] });
      const attempts = (await api("GET", `/api/v2/webhooks/${id}/deliveries/?page_size=5`)).body.results as Json[];
      expect(attempts[0]).toMatchObject({ event: "alert", outcome: "delivered" });
      client.close();
      one.client.close();
    } finally {
      await Promise.all([receiver.close(), probeOnly.close()]);
    }
  }, 60_000);

  it("after a restart in the middle of a delivery, rebuilds the fold and still delivers every event at least once, in order", async () => {
    const msm = 9502;
    const slow: ReceiverBehaviour = () => ({ status: 200, delayMs: 400 });
    const receiver = await WebhookReceiver.start(slow);
    try {
      const { client, alerts } = await streamAlerts(msm, PARAMS);
      await createHook(receiver, { stream_type: "alert", msm, ...PARAMS });
      const posted = rounds(msm, 8);
      for (const round of posted) await post(round);
      await expect.poll(() => alerts().length).toBe(alertCount(posted));
      const expected = alerts();
      client.close();
      // Stopped while a batch is in flight: that POST is cut off unanswered, and some events were acknowledged before.
      await receiver.waitFor(() => acknowledged(receiver).length >= 4 && receiver.deliveries.some((d) => !d.answered));
      expect(acknowledged(receiver).length).toBeLessThan(expected.length);
      await platform.close();
      platform = await startPlatform(options(db.url));
      await receiver.waitFor(() => acknowledged(receiver).length >= expected.length);
      expect(acknowledged(receiver)).toEqual(expected);
      // Everything received twice was in a delivery that was not acknowledged: a re-delivery, not a second computation.
      const unacknowledged = new Set(receiver.deliveries.filter((d) => !WebhookReceiver.acknowledged(d)).flatMap((d) => d.positions));
      expect(unacknowledged.size).toBeGreaterThan(0);
      const seen = new Map<string, number>();
      for (const p of receiver.allPositions()) seen.set(p, (seen.get(p) ?? 0) + 1);
      for (const [p, times] of seen) if (times > 1) expect(unacknowledged.has(p), p).toBe(true);
    } finally {
      await receiver.close();
    }
  }, 60_000);
});
