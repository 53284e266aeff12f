import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import pg from "pg";
import ioV2 from "socket.io-client-v2";
import { newestResultsPerProbe } from "@probestream/db";
import { STATUS_CHECK_DEFAULTS, probeSource, statusCheck as recompute } from "@probestream/types";
import { startPlatform, type Platform } from "@probestream/standalone";
import {
  PlainStreamClient, StreamClient, createApiKey, createTestDatabase, pingWithRtts as ping, openHttpStream, postResults, registerProbe, restCall,
  type Json, type TestDatabase, type TestProbe,
} from "@probestream/testkit";

const ADMIN = "test-admin-token";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const T0 = 1_750_000_000;

let db: TestDatabase;
let platform: Platform;
let pool: pg.Pool;
const probes: TestProbe[] = [];

beforeAll(async () => {
  db = await createTestDatabase("alert_stream");
  pool = new pg.Pool({ connectionString: db.url });
  platform = await startPlatform({ databaseUrl: db.url, redisUrl: REDIS_URL, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN });
  for (const id of [61, 62, 63, 64]) probes.push(await registerProbe(platform.ingestUrl, ADMIN, id));
});

afterAll(async () => {
  await platform?.close();
  await pool?.end();
  await db?.drop();
});

/** Posts each probe's results as that probe. */
async function post(results: Json[]): Promise<void> {
  for (const probe of probes) {
    const own = results.filter((r) => r.prb_id === probe.prbId);
    if (own.length === 0) continue;
    const { status, body } = await postResults(platform.ingestUrl, probe, own);
    if (status !== 200) throw new Error(`${status} ${JSON.stringify(body)}`);
  }
}

const statusCheck = async (msm: number, query = "", key?: string) =>
  (await restCall(platform.gatewayUrl, "GET", `/api/v2/measurements/${msm}/status-check/${query}`, key)).body;

/** Each probe's alert as the events say it now (a probe never reported has not alerted), and the global alert. */
function alertsOf(events: Json[]): { probes: Record<string, boolean>; global: boolean } {
  const probesNow: Record<string, boolean> = {};
  for (const e of events) probesNow[String(e.prb_id)] = e.alert as boolean;
  return { probes: probesNow, global: (events.at(-1)?.global_alert as boolean | undefined) ?? false };
}

const settle = () => new Promise((r) => setTimeout(r, 500));

describe("alert streams on socket.io", () => {
  it("starts with the probes alerting now, then reports each change of a probe's or the global alert", async () => {
    const msm = 9301;
    await post([ping(msm, 61, T0, [null, null, null]), ping(msm, 62, T0, [10, 11, 12])]);
    const client = new StreamClient(platform.gatewayUrl);
    await client.subscribe({ stream_type: "alert", msm });
    const alerts = () => client.events.filter((e) => e.event === "atlas_alert").map((e) => e.payload as Json);
    await expect.poll(() => alerts().length).toBe(1);
    expect(alerts()[0]).toEqual({
      msm_id: msm, prb_id: 61, alert: true, alert_reasons: ["loss"], last: null, last_packet_loss: 100, source: "Country: unknown",
      all: [null, null, null], global_alert: true, alerting_probes: 1,
    });

    await post([ping(msm, 61, T0 + 240, [9, 9, 9])]);
    await expect.poll(() => alerts().length).toBe(2);
    expect(alerts()[1]).toMatchObject({ prb_id: 61, alert: false, last: 9, global_alert: false, alerting_probes: 0 });
    expect(alerts()[1]).not.toHaveProperty("alert_reasons");

    // A healthy result changes nothing; an older result than the latest changes nothing either.
    await post([ping(msm, 62, T0 + 240, [10, 10, 10]), ping(msm, 61, T0 + 1, [null, null, null])]);
    await post([ping(msm, 62, T0 + 480, [null, null, null])]);
    await expect.poll(() => alerts().length).toBe(3);
    expect(alerts()[2]).toMatchObject({ prb_id: 62, alert: true, global_alert: true, alerting_probes: 1 });
    await settle();
    expect(alerts()).toHaveLength(3);
    const endpoint = await statusCheck(msm);
    expect(alertsOf(alerts())).toEqual({ probes: { "61": false, "62": true }, global: endpoint.global_alert });
    expect(endpoint.probes["62"].alert).toBe(true);
    client.close();
  });

  it("with prb: that probe's changes, and those of any probe that turn the global alert on or off", async () => {
    const msm = 9305;
    const client = new StreamClient(platform.gatewayUrl);
    await client.subscribe({ stream_type: "alert", msm, prb: 62, permitted_total_alerts: 1 });
    const alerts = () => client.events.filter((e) => e.event === "atlas_alert").map((e) => e.payload as Json);
    await post([ping(msm, 61, T0, [null])]);
    await post([ping(msm, 63, T0, [null])]);
    await expect.poll(() => alerts().length).toBe(1);
    expect(alerts()[0]).toMatchObject({ prb_id: 63, alert: true, global_alert: true, alerting_probes: 2 });
    await post([ping(msm, 62, T0, [null])]);
    await expect.poll(() => alerts().length).toBe(2);
    expect(alerts()[1]).toMatchObject({ prb_id: 62, alert: true, global_alert: true, alerting_probes: 3 });
    await post([ping(msm, 61, T0 + 240, [10])]);
    await settle();
    // Probe 61 recovering leaves two alerting, more than the one permitted: nothing for this subscription.
    expect(alerts()).toHaveLength(2);
    client.close();
  });

  it("refuses an alert stream without a measurement, with bad parameters, or of a private measurement without its owner's key", async () => {
    const client = new StreamClient(platform.gatewayUrl);
    await expect(client.subscribe({ stream_type: "alert" })).rejects.toThrow(/"parameter":"msm"/);
    await expect(client.subscribe({ stream_type: "alert", msm: 1, lookback: 0 })).rejects.toThrow(/"parameter":"lookback"/);
    await expect(client.subscribe({ stream_type: "result", msm: 1, max_packet_loss: 5 })).rejects.toThrow(/alert streams only/);
    const owner = await createApiKey(db.url, "alice", ["results:read_private"]);
    await pool.query("INSERT INTO measurements (id, type, description, status, is_public, owner_id) VALUES (9399, 'ping', 'private', 2, false, $1)", [owner.userId]);
    await pool.query("INSERT INTO measurement_probes (msm_id, prb_id) VALUES (9399, 63)");
    await expect(client.subscribe({ stream_type: "alert", msm: 9399 })).rejects.toThrow(/forbidden/);
    client.close();

    const own = new StreamClient(platform.gatewayUrl, { key: owner.key });
    await own.subscribe({ stream_type: "alert", msm: 9399 });
    await post([ping(9399, 63, T0, [null])]);
    await expect.poll(() => own.events.filter((e) => e.event === "atlas_alert").length).toBe(1);
    own.close();
  });
});

describe("alert streams on the plain WebSocket", () => {
  it("takes the status check's parameters: an RTT spike over the median of the lookback alerts", async () => {
    const msm = 9302;
    await post([10, 11, 10].map((rtt, i) => ping(msm, 63, T0 + i * 240, [rtt])));
    const client = new PlainStreamClient(platform.gatewayUrl);
    await client.opened;
    client.send("atlas_subscribe", { streamType: "alert", msm, lookback: 4, median_rtt_threshold: 20 });
    await expect.poll(() => client.of("atlas_subscribed").length).toBe(1);
    await post([ping(msm, 63, T0 + 3 * 240, [50])]);
    await expect.poll(() => client.of("atlas_alert").length).toBe(1);
    expect(client.of("atlas_alert")[0]).toEqual(["atlas_alert", {
      msm_id: msm, prb_id: 63, alert: true, alert_reasons: ["latency"], last: 50, last_packet_loss: 0, source: "Country: unknown",
      all: [10, 11, 10, 50], global_alert: true, alerting_probes: 1,
    }]);
    // Back under the median plus the threshold: the alert clears, and the global alert with it.
    await post([ping(msm, 63, T0 + 4 * 240, [12])]);
    await expect.poll(() => client.of("atlas_alert").length).toBe(2);
    expect(client.of("atlas_alert")[1]![1]).toMatchObject({ prb_id: 63, alert: false, last: 12, global_alert: false, alerting_probes: 0 });
    client.send("atlas_subscribe", { streamType: "alert", msm, max_packet_loss: 101 });
    await expect.poll(() => client.of("atlas_error").length).toBe(1);
    expect(client.of("atlas_error")[0]![1]).toMatchObject({ parameter: "max_packet_loss" });
    client.close();
  });
});

describe("alert streams on socket.io 2 over Engine.IO 3 long-polling (cousteau's transport)", () => {
  it("sends an alert and its clearing", async () => {
    const msm = 9304;
    const v2 = ioV2(platform.gatewayUrl, { path: "/stream/socket.io", transports: ["polling"], forceNew: true, reconnection: false });
    const alerts: Json[] = [];
    v2.on("atlas_alert", (event: Json) => alerts.push(event));
    await new Promise<void>((resolve, reject) => {
      v2.once("atlas_subscribed", () => resolve());
      v2.once("connect_error", reject);
      v2.emit("atlas_subscribe", { stream_type: "alert", msm });
    });
    await post([ping(msm, 64, T0, [null, null])]);
    await expect.poll(() => alerts.length).toBe(1);
    expect(alerts[0]).toMatchObject({ msm_id: msm, prb_id: 64, alert: true, alert_reasons: ["loss"], global_alert: true, alerting_probes: 1 });
    await post([ping(msm, 64, T0 + 240, [10, 11])]);
    await expect.poll(() => alerts.length).toBe(2);
    expect(alerts[1]).toMatchObject({ prb_id: 64, alert: false, global_alert: false, alerting_probes: 0 });
    v2.close();
  });
});

describe("alert streams over HTTP", () => {
  it("streams atlas_alert lines for a subscription in the query string", async () => {
    const msm = 9303;
    const stream = await openHttpStream(`${platform.gatewayUrl}/stream/?streamType=alert&msm=${msm}&permitted_total_alerts=1`);
    const { lines } = stream;
    expect(stream.response.status).toBe(200);
    await expect.poll(() => lines.length).toBe(1);
    expect(lines[0]).toEqual(["atlas_subscribed", { streamType: "alert", msm, permitted_total_alerts: 1 }]);
    await post([ping(msm, 61, T0, [null])]);
    await expect.poll(() => lines.length).toBe(2);
    expect(lines[1]).toEqual(["atlas_alert", expect.objectContaining({ prb_id: 61, alert: true, global_alert: false, alerting_probes: 1 })]);
    await post([ping(msm, 62, T0, [null])]);
    await expect.poll(() => lines.length).toBe(3);
    expect(lines[2]).toEqual(["atlas_alert", expect.objectContaining({ prb_id: 62, alert: true, global_alert: true, alerting_probes: 2 })]);
    // Probe 61 recovers: its alert clears and the global alert goes off again.
    await post([ping(msm, 61, T0 + 240, [10])]);
    await expect.poll(() => lines.length).toBe(4);
    expect(lines[3]).toEqual(["atlas_alert", expect.objectContaining({ prb_id: 61, alert: false, global_alert: false, alerting_probes: 1 })]);
    await stream.close();
  });
});

describe("the live state = the status check from storage", () => {
  it("after random sequences of results (timestamps in any order), the alert events and the polled endpoint end where storage is", async () => {
    const result = fc.record({
      prb: fc.constantFrom(61, 62, 63, 64),
      t: fc.integer({ min: 0, max: 30 }),
      rtts: fc.array(fc.option(fc.integer({ min: 1, max: 200 }), { nil: null }), { minLength: 1, maxLength: 3 }),
    });
    const runs = fc.sample(fc.array(fc.array(result, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 }), { numRuns: 8, seed: 15 });
    for (const [run, batches] of runs.entries()) {
      const msm = 9310 + run;
      const query = "?lookback=3&median_rtt_threshold=30&permitted_total_alerts=1";
      const client = new StreamClient(platform.gatewayUrl);
      await client.subscribe({ stream_type: "alert", msm, lookback: 3, median_rtt_threshold: 30, permitted_total_alerts: 1 });
      const pollQuery = "?lookback=3&median_rtt_threshold=30&show_all=true";
      const seen = new Set<string>();
      for (const batch of batches) {
        // One result per probe and time: a probe sends a result once.
        const fresh = batch.filter((g) => !seen.has(`${g.prb}:${g.t}`) && seen.add(`${g.prb}:${g.t}`));
        await post(fresh.map((g) => ping(msm, g.prb, T0 + g.t * 60, g.rtts)));
        // Polled after the first results (which define the measurement): later polls answer from the state kept live.
        if (batch === batches[0]) expect((await statusCheck(msm, pollQuery)).probes).toBeDefined();
      }
      const options = { ...STATUS_CHECK_DEFAULTS, lookback: 3, medianRttThreshold: 30, showAll: true };
      const rows = await newestResultsPerProbe(pool, msm, 3);
      const fromStorage = recompute(
        rows.map((r) => ({ seq: r.seq, result: JSON.parse(r.body) as Json })),
        options,
        new Map(rows.map((r) => [r.prb_id, probeSource(r.country_code)])),
      );
      await expect.poll(() => statusCheck(msm, pollQuery)).toEqual(fromStorage);
      // The subscription's parameters recomputed from storage (the endpoint, asked with them, answers
      // from the subscription's own live state: it must agree too, but cannot be the reference).
      const subscribed = recompute(
        rows.map((r) => ({ seq: r.seq, result: JSON.parse(r.body) as Json })),
        { ...STATUS_CHECK_DEFAULTS, lookback: 3, medianRttThreshold: 30, permittedTotalAlerts: 1 },
        new Map(rows.map((r) => [r.prb_id, probeSource(r.country_code)])),
      );
      await expect.poll(() => statusCheck(msm, query)).toEqual(subscribed);
      const expected = {
        probes: Object.fromEntries(Object.entries(subscribed.probes).filter(([, p]) => p.alert).map(([prb]) => [prb, true])),
        global: subscribed.global_alert,
      };
      const alerting = () => {
        const now = alertsOf(client.events.filter((e) => e.event === "atlas_alert").map((e) => e.payload as Json));
        return { probes: Object.fromEntries(Object.entries(now.probes).filter(([, a]) => a)), global: now.global };
      };
      await expect.poll(alerting).toEqual(expected);
      // Still there once everything committed has been heard: no late event moves it away.
      await settle();
      expect(alerting()).toEqual(expected);
      client.close();
    }
  }, 150_000);
});
