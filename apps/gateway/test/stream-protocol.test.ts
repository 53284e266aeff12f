import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { io as ioV4 } from "socket.io-client";
import Fastify from "fastify";
import { Registry } from "prom-client";
import { InProcessBus, measurementEventOf } from "@probestream/bus";
import { startPlatform, type Platform } from "@probestream/standalone";
import {
  PlainStreamClient, StreamClient, createApiKey, createTestDatabase, loadFixtures, openHttpStream, pingResult, postResults, registerProbe,
  type Json, type TestDatabase, type TestProbe,
} from "@probestream/testkit";
import { ANONYMOUS } from "../src/access/api-keys.js";
import { GatewayMetrics } from "../src/metrics.js";
import type { Frame } from "../src/streaming/frame.js";
import { StreamSession } from "../src/streaming/session.js";
import { DEFAULT_LIMITS, StreamHub } from "../src/streaming/stream-hub.js";

const ADMIN = "test-admin-token";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let db: TestDatabase;
let platform: Platform;
let pool: pg.Pool;
let probe: TestProbe;

beforeAll(async () => {
  db = await createTestDatabase("stream_protocol");
  pool = new pg.Pool({ connectionString: db.url });
  platform = await startPlatform({
    databaseUrl: db.url, redisUrl: REDIS_URL, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN,
    streamLimits: { subscriptionsPerSession: 3, sessionsPerAddress: 40, idleMs: 1500 },
  });
  probe = await registerProbe(platform.ingestUrl, ADMIN, 51);
});

afterAll(async () => {
  await platform?.close();
  await pool?.end();
  await db?.drop();
});

async function post(results: unknown[], as = probe): Promise<void> {
  const { status, body } = await postResults(platform.ingestUrl, as, results);
  if (status !== 200) throw new Error(`${status} ${JSON.stringify(body)}`);
}

const settle = () => new Promise((r) => setTimeout(r, 400));

describe("plain WebSocket at /stream/", () => {
  it("speaks the JSON-array protocol: subscribe, results, unsubscribe, errors, each exactly [event, payload]", async () => {
    const client = new PlainStreamClient(platform.gatewayUrl, "?client=test-suite");
    await client.opened;
    client.send("atlas_subscribe", { streamType: "result", msm: 9101 });
    await expect.poll(() => client.of("atlas_subscribed").length).toBe(1);
    expect(client.of("atlas_subscribed")[0]![1]).toEqual({ streamType: "result", msm: 9101 });
    const sent = pingResult(probe.prbId, 9101, 1_750_000_000);
    await post([sent, pingResult(probe.prbId, 9102, 1_750_000_000)]);
    await expect.poll(() => client.of("atlas_result").length).toBe(1);
    expect(client.of("atlas_result")[0]).toEqual(["atlas_result", { ...sent, stored_timestamp: expect.any(Number) }]);

    client.ws.send("not json");
    client.send("atlas_subscribe", { streamType: "result", msm: -1 });
    client.send("atlas_dance", {});
    await expect.poll(() => client.of("atlas_error").length).toBe(3);
    const errors = client.of("atlas_error").map((m) => m[1] as { message: string; parameter?: string });
    expect(errors[0]!.message).toMatch(/JSON arrays/);
    expect(errors[1]!.parameter).toBe("msm");
    expect(errors[2]!.message).toMatch(/unknown event/);

    client.send("atlas_unsubscribe", { streamType: "result", msm: 9101 });
    await expect.poll(() => client.of("atlas_unsubscribed").length).toBe(1);
    await post([pingResult(probe.prbId, 9101, 1_750_000_001)]);
    await settle();
    expect(client.of("atlas_result")).toHaveLength(1);
    expect(client.messages.every((m) => m.length === 2)).toBe(true);
    client.close();
  });

  it("adds positions for a subscription with sendPositions, and resumes from one", async () => {
    const client = new PlainStreamClient(platform.gatewayUrl);
    await client.opened;
    client.send("atlas_subscribe", { streamType: "result", msm: 9103, sendPositions: true });
    await expect.poll(() => client.of("atlas_subscribed").length).toBe(1);
    expect(client.of("atlas_subscribed")[0]).toEqual(["atlas_subscribed", { streamType: "result", msm: 9103, sendPositions: true }]);
    await post([pingResult(probe.prbId, 9103, 1_750_000_010)]);
    await expect.poll(() => client.of("atlas_result").length).toBe(1);
    const [, , meta] = client.of("atlas_result")[0]!;
    expect(meta).toEqual({ position: expect.stringMatching(/^\d+$/) });
    client.close();
    await post([pingResult(probe.prbId, 9103, 1_750_000_011), pingResult(probe.prbId, 9103, 1_750_000_012)]);

    const resumed = new PlainStreamClient(platform.gatewayUrl);
    await resumed.opened;
    resumed.send("atlas_subscribe", { streamType: "result", msm: 9103, resumeFrom: (meta as { position: string }).position, sendPositions: true });
    await expect.poll(() => resumed.of("atlas_result").length).toBe(2);
    expect(resumed.of("atlas_result").map((m) => (m[1] as Json).timestamp)).toEqual([1_750_000_011, 1_750_000_012]);
    expect(resumed.of("atlas_result").every((m) => m.length === 3)).toBe(true);
    resumed.close();
  });
});

describe("plain HTTP streaming on GET /stream/", () => {
  it("streams one JSON message per line for a subscription in the query string", async () => {
    const stream = await openHttpStream(`${platform.gatewayUrl}/stream/?streamType=result&msm=9201&type=ping`);
    const { response: res, lines } = stream;
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/ndjson/);
    await expect.poll(() => lines.length).toBe(1);
    // The echo is typed as a socket client would have sent it: msm=9201 is a number.
    expect(lines[0]).toEqual(["atlas_subscribed", { streamType: "result", msm: 9201, type: "ping" }]);
    const sent = pingResult(probe.prbId, 9201, 1_750_000_100);
    await post([sent]);
    await expect.poll(() => lines.length).toBe(2);
    expect(lines[1]).toEqual(["atlas_result", { ...sent, stored_timestamp: expect.any(Number) }]);
    await stream.close();
  });

  it("adds positions with sendPositions=true", async () => {
    await post([pingResult(probe.prbId, 9203, 1_750_000_300)]);
    const text = await (await fetch(`${platform.gatewayUrl}/stream/?streamType=result&msm=9203&startTime=1750000000&endTime=1750000400&speed=0&sendPositions=true`)).text();
    const lines = text.trim().split("\n").map((l) => JSON.parse(l) as unknown[]);
    expect(lines[0]).toEqual([
      "atlas_subscribed",
      { streamType: "result", msm: 9203, startTime: 1750000000, endTime: 1750000400, speed: 0, sendPositions: true },
    ]);
    expect(lines[1]).toEqual(["atlas_result", expect.objectContaining({ msm_id: 9203 }), { position: expect.stringMatching(/^\d+$/) }]);
  });

  it("answers a bad subscription with a 400 naming the parameter", async () => {
    const res = await fetch(`${platform.gatewayUrl}/stream/?streamType=result&sourcePrefix=10.0.0.0/33`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { detail: string } };
    expect(body.error.detail).toMatch(/sourcePrefix/);
  });

  it("ends the response when a replay with an end has been sent", async () => {
    await post([pingResult(probe.prbId, 9202, 1_750_000_200), pingResult(probe.prbId, 9202, 1_750_000_201)]);
    const text = await (await fetch(`${platform.gatewayUrl}/stream/?streamType=result&msm=9202&startTime=1750000000&endTime=1750000300&speed=0`)).text();
    const events = text.trim().split("\n").map((l) => (JSON.parse(l) as unknown[])[0]);
    expect(events).toEqual(["atlas_subscribed", "atlas_result", "atlas_result", "atlas_replay_finished"]);
  });

  it("follows the API's CORS policy: open to every origin without a key, never * with one", async () => {
    const { key } = await createApiKey(db.url, "cors", []);
    const origin = { origin: "https://elsewhere.example" };
    const open = await fetch(`${platform.gatewayUrl}/stream/?streamType=result&msm=9204`, { headers: origin });
    expect(open.status).toBe(200);
    expect(open.headers.get("access-control-allow-origin")).toBe("*");
    await open.body?.cancel();
    const keyed = await fetch(`${platform.gatewayUrl}/stream/?streamType=result&msm=9204&key=${key}`, { headers: origin });
    expect(keyed.status).toBe(200);
    expect(keyed.headers.get("access-control-allow-origin")).toBeNull();
    await keyed.body?.cancel();
  });
});

/** A result's targets: its dst_addr (addr in old firmware), or for HTTP those of its requests. */
function destinations(r: Json): string[] {
  const top = r.dst_addr ?? r.addr;
  if (typeof top === "string") return [top];
  if (r.type !== "http" || !Array.isArray(r.result)) return [];
  return (r.result as Json[]).map((q) => (q.dst_addr ?? q.addr ?? "") as string);
}

describe("filters", () => {
  const fixtures = loadFixtures();
  const MSM = 9300;
  // Real samples re-addressed to one probe and measurement, so one post carries them all.
  const samples = fixtures.map((f, i) => ({ ...f.result, prb_id: 52, msm_id: MSM, timestamp: 1_760_000_000 + i }));
  let p52: TestProbe;

  beforeAll(async () => {
    p52 = await registerProbe(platform.ingestUrl, ADMIN, 52);
  });

  const cases: [string, Json, (r: Json) => boolean][] = [
    ["sourceAddress", { sourceAddress: "193.0.10.127" }, (r) => r.from === "193.0.10.127" || r.src_addr === "193.0.10.127"],
    ["sourcePrefix v4", { sourcePrefix: "193.0.0.0/16" }, (r) => [r.from, r.src_addr].some((a) => typeof a === "string" && a.startsWith("193.0."))],
    ["destinationAddress", { destinationAddress: "193.0.6.139" }, (r) => destinations(r).includes("193.0.6.139")],
    ["destinationPrefix v6", { destinationPrefix: "2001:67c::/32" }, (r) => destinations(r).some((d) => d.toLowerCase().startsWith("2001:67c:"))],
    ["passThroughPrefix", { passThroughPrefix: "141.105.0.0/16" }, (r) => r.type === "traceroute" && JSON.stringify(r.result).includes('"from":"141.105.')],
    ["type", { type: "sslcert" }, (r) => r.type === "sslcert"],
    ["greaterThan", { type: "ping", greaterThan: { avg: 50 } }, (r) => r.type === "ping" && Number(r.avg) > 50],
    ["lessThan", { lessThan: { rt: 100 } }, (r) => r.rt !== undefined && Number(r.rt) < 100],
    ["equalsTo", { equalsTo: { af: 6 } }, (r) => Number(r.af) === 6],
  ];

  it.each(cases)("%s delivers exactly the matching results", async (_name, filter, match) => {
    const client = new StreamClient(platform.gatewayUrl);
    await client.subscribe({ stream_type: "result", msm: MSM, ...filter });
    const expected = samples.filter(match);
    expect(expected.length).toBeGreaterThan(0);
    // Each case posts the samples again under fresh timestamps.
    const offset = cases.findIndex((c) => c[1] === filter) * 1000;
    const batch = samples.map((s) => ({ ...s, timestamp: s.timestamp + offset }));
    const { status } = await postResults(platform.ingestUrl, p52, batch);
    expect(status).toBe(200);
    await expect.poll(() => client.results.length).toBe(expected.length);
    await settle();
    expect(client.results.map((r) => r.result.timestamp)).toEqual(expected.map((e) => e.timestamp + offset));
    client.close();
  });
});

describe("socket.io frames", () => {
  /** Every event the socket receives, with all its arguments. */
  const record = (client: StreamClient) => {
    const received: unknown[][] = [];
    client.socket.onAny((...args: unknown[]) => received.push(args));
    return received;
  };

  it("atlas_result has exactly one argument: the result, or with buffering an array of results", async () => {
    const plain = new StreamClient(platform.gatewayUrl);
    const buffered = new StreamClient(platform.gatewayUrl);
    const plainArgs = record(plain);
    const bufferedArgs = record(buffered);
    await plain.subscribe({ stream_type: "result", msm: 9601 });
    await buffered.subscribe({ stream_type: "result", msm: 9601, buffering: true });
    const sent = [pingResult(probe.prbId, 9601, 1_750_004_000), pingResult(probe.prbId, 9601, 1_750_004_001)];
    await post(sent);
    await expect.poll(() => plain.results.length).toBe(2);
    await expect.poll(() => buffered.results.length).toBe(2);
    const results = (args: unknown[][]) => args.filter((a) => a[0] === "atlas_result");
    expect(results(plainArgs)).toEqual(sent.map((r) => ["atlas_result", { ...r, stored_timestamp: expect.any(Number) }]));
    expect(results(bufferedArgs)).toEqual([["atlas_result", sent.map((r) => ({ ...r, stored_timestamp: expect.any(Number) }))]]);
    expect([...plainArgs, ...bufferedArgs].every((a) => a.length === 2)).toBe(true);
    plain.close();
    buffered.close();
  });

  it("a subscription with sendPositions gets the position as a second argument, buffered or not", async () => {
    const plain = new StreamClient(platform.gatewayUrl);
    const buffered = new StreamClient(platform.gatewayUrl);
    await plain.subscribe({ stream_type: "result", msm: 9602, sendPositions: true });
    await buffered.subscribe({ stream_type: "result", msm: 9602, buffering: true, sendPositions: true });
    await post([pingResult(probe.prbId, 9602, 1_750_004_100)]);
    await expect.poll(() => plain.results.length).toBe(1);
    await expect.poll(() => buffered.results.length).toBe(1);
    expect(plain.results[0]!.position).toMatch(/^\d+$/);
    expect(buffered.results[0]!.position).toBe(plain.results[0]!.position);
    plain.close();
    buffered.close();
  });

  it("atlas_subscribed echoes the parameters as sent, numbers as numbers", async () => {
    const client = new StreamClient(platform.gatewayUrl);
    const echo = client.next("atlas_subscribed");
    client.socket.emit("atlas_subscribe", { stream_type: "result", msm: 9603, prb: "51", buffering: false });
    expect(await echo).toStrictEqual({ stream_type: "result", msm: 9603, prb: "51", buffering: false });
    client.close();
  });
});

describe("several subscriptions per socket, limits and errors", () => {
  it("each subscription is confirmed and ended on its own; a result matching two is sent once", async () => {
    const client = new StreamClient(platform.gatewayUrl);
    await client.subscribe({ stream_type: "result", msm: 9401 });
    await client.subscribe({ stream_type: "result", prb: probe.prbId });
    await post([pingResult(probe.prbId, 9401, 1_750_001_000)]);
    await expect.poll(() => client.results.length).toBe(1);
    await settle();
    expect(client.results).toHaveLength(1);
    const ended = client.next("atlas_unsubscribed");
    client.socket.emit("atlas_unsubscribe", { stream_type: "result", prb: probe.prbId });
    expect(await ended).toEqual({ stream_type: "result", prb: probe.prbId });
    await post([pingResult(probe.prbId, 9402, 1_750_001_001), pingResult(probe.prbId, 9401, 1_750_001_002)]);
    await expect.poll(() => client.results.length).toBe(2);
    expect(client.results[1]!.result.msm_id).toBe(9401);
    client.close();
  });

  it("limits subscriptions per connection", async () => {
    const client = new StreamClient(platform.gatewayUrl);
    for (const msm of [1, 2, 3]) await client.subscribe({ stream_type: "result", msm });
    await expect(client.subscribe({ stream_type: "result", msm: 4 })).rejects.toThrow(/at most 3 subscriptions/);
    client.close();
  });

  it("names the parameter in every atlas_error", async () => {
    const client = new StreamClient(platform.gatewayUrl);
    const bad: [Json, string][] = [
      [{ stream_type: "result", startTime: "soon" }, "startTime"],
      [{ stream_type: "result", startTime: 10, endTime: 5 }, "endTime"],
      [{ stream_type: "result", speed: 2 }, "speed"],
      [{ stream_type: "result", destinationPrefix: "fe80::/129" }, "destinationPrefix"],
      [{ stream_type: "result", greaterThan: { min: "x" } }, "greaterThan"],
      [{ stream_type: "result", enrichProbes: true }, "enrichProbes"],
      [{ stream_type: "result", resumeFrom: 12 }, "resumeFrom"],
      [{ stream_type: "weather" }, "stream_type"],
    ];
    for (const [params, parameter] of bad) {
      const error = client.next("atlas_error");
      client.socket.emit("atlas_subscribe", params);
      expect(((await error) as { parameter?: string }).parameter).toBe(parameter);
    }
    client.close();
  });

  it("closes connections that hold no subscription for a while", async () => {
    const client = new StreamClient(platform.gatewayUrl);
    const error = client.next("atlas_error", 10_000);
    expect(((await error) as { code: string }).code).toBe("idle");
    await expect.poll(() => client.socket.connected, { timeout: 5000 }).toBe(false);
  });

  it("limits connections per address", async () => {
    const sockets = Array.from({ length: 45 }, () =>
      ioV4(platform.gatewayUrl, { path: "/stream/socket.io", transports: ["websocket"], forceNew: true, reconnection: false }),
    );
    const outcomes = await Promise.all(
      sockets.map((s) => new Promise<string>((resolve) => {
        s.once("connect", () => resolve("ok"));
        s.once("connect_error", (e: Error) => resolve(e.message));
      })),
    );
    expect(outcomes.filter((o) => o === "ok").length).toBeLessThanOrEqual(40);
    expect(outcomes).toContain("too many connections from this address");
    sockets.forEach((s) => s.close());
    await settle();
  });
});

describe("probe status", () => {
  it("enrichProbes adds the probe's details to each status event", async () => {
    const client = new StreamClient(platform.gatewayUrl);
    await client.subscribe({ stream_type: "probestatus", enrichProbes: true });
    const event = client.next("atlas_probestatus");
    const session = ioV4(platform.ingestUrl, {
      path: "/probe/socket.io", transports: ["websocket"], auth: { prb_id: probe.prbId, secret: probe.secret, firmware: 5080 },
    });
    const payload = (await event) as Json & { probe: Json };
    expect(payload).toMatchObject({ prb_id: probe.prbId, type: "connection", event: "connect" });
    expect(payload.probe).toMatchObject({ id: probe.prbId, status: { id: 1, name: "Connected" }, firmware_version: 5080 });
    session.close();
    client.close();
  });
});

describe("private measurements", () => {
  const MSM = 9501;
  let owner: { key: string; userId: number };
  let stranger: { key: string; userId: number };

  beforeAll(async () => {
    owner = await createApiKey(db.url, "owner", ["results:read_private"]);
    stranger = await createApiKey(db.url, "stranger", ["results:read_private"]);
    await pool.query("INSERT INTO measurements (id, type, is_public, owner_id) VALUES ($1, 'ping', false, $2)", [MSM, owner.userId]);
    // A user's measurement takes results only from the probes it runs on.
    await pool.query("INSERT INTO measurement_probes (msm_id, prb_id) VALUES ($1, $2)", [MSM, probe.prbId]);
  });

  it("stream only to a key with the right to read them", async () => {
    const anonymous = new StreamClient(platform.gatewayUrl);
    await expect(anonymous.subscribe({ stream_type: "result", msm: MSM })).rejects.toThrow(/private/);
    await anonymous.subscribe({ stream_type: "result", type: "ping" });
    const other = new StreamClient(platform.gatewayUrl, { key: stranger.key });
    await expect(other.subscribe({ stream_type: "result", msm: MSM })).rejects.toThrow(/private/);
    const allowed = new StreamClient(platform.gatewayUrl, { key: owner.key });
    await allowed.subscribe({ stream_type: "result", msm: MSM });
    await post([pingResult(probe.prbId, MSM, 1_750_002_000), pingResult(probe.prbId, 9502, 1_750_002_000)]);
    await expect.poll(() => allowed.results.length).toBe(1);
    await expect.poll(() => anonymous.results.length).toBe(1);
    await settle();
    expect(allowed.results[0]!.result.msm_id).toBe(MSM);
    expect(anonymous.results[0]!.result.msm_id).toBe(9502);
    // Replays obey the same rule.
    const replay = new StreamClient(platform.gatewayUrl);
    const finished = replay.next("atlas_replay_finished");
    await replay.subscribe({ stream_type: "result", type: "ping", startTime: 1_750_002_000, endTime: 1_750_002_000, speed: 0 });
    expect(((await finished) as { count: number }).count).toBe(1);
    expect(replay.results.map((r) => r.result.msm_id)).toEqual([9502]);
    for (const c of [anonymous, other, allowed, replay]) c.close();
  });

  it("refuses an unknown key at the handshake", async () => {
    const socket = ioV4(platform.gatewayUrl, { path: "/stream/socket.io", transports: ["websocket"], query: { key: "nope" }, reconnection: false });
    const err = await new Promise<Error>((resolve) => socket.once("connect_error", resolve));
    expect(err.message).toMatch(/API key does not exist/);
    socket.close();
  });
});

describe("metadata", () => {
  it("announces a measurement first seen through its results", async () => {
    const client = new StreamClient(platform.gatewayUrl);
    await client.subscribe({ stream_type: "metadata" });
    await client.subscribe({ streamType: "metadata", msm: 9802 });
    const event = client.next("atlas_metadata");
    await post([pingResult(probe.prbId, 9801, 1_750_003_000)]);
    const announced = (await event) as { timestamp: number };
    // The event is built by the writer's statement (stored with the results): exactly as measurementEventOf builds the others.
    const expected = measurementEventOf({ id: 9801, type: "ping", status: 2, is_public: true, owner_id: null }, "created").event;
    expect(JSON.stringify(announced)).toBe(JSON.stringify({ ...expected, timestamp: announced.timestamp }));
    expect(Math.abs(announced.timestamp - expected.timestamp)).toBeLessThanOrEqual(2);
    const { rows } = await pool.query("SELECT private_to, event::text AS event FROM measurement_events WHERE msm_id = 9801");
    expect(rows).toEqual([{ private_to: null, event: JSON.stringify(announced) }]);
    await post([pingResult(probe.prbId, 9801, 1_750_003_001)]);
    await settle();
    expect(client.events.filter((e) => e.event === "atlas_metadata")).toHaveLength(1);
    client.close();
  });
});

describe("message size", () => {
  it("answers a plain WebSocket message over 64 KiB with atlas_error and keeps the connection; closes one far over", async () => {
    const client = new PlainStreamClient(platform.gatewayUrl);
    await client.opened;
    let closedEarly = false;
    client.ws.once("close", () => (closedEarly = true));
    client.send("atlas_subscribe", { stream_type: "result", padding: "x".repeat(70 * 1024) });
    await expect.poll(() => client.of("atlas_error").length).toBe(1);
    expect(client.of("atlas_error")[0]![1]).toMatchObject({ message: expect.stringMatching(/at most 65536/) as unknown });
    client.send("atlas_subscribe", { stream_type: "result", msm: 1 });
    await expect.poll(() => client.of("atlas_subscribed").length).toBe(1);
    expect(closedEarly).toBe(false);
    // Past what ws reads at all (memory stays bounded): closed as "message too big".
    const closed = new Promise<number>((resolve) => client.ws.once("close", (code) => resolve(code)));
    client.send("atlas_subscribe", { stream_type: "result", padding: "x".repeat(300 * 1024) });
    expect(await closed).toBe(1009);
  });

  it("socket.io refuses an oversize message", async () => {
    const io = new StreamClient(platform.gatewayUrl);
    await io.subscribe({ stream_type: "result", msm: 1 });
    const gone = new Promise<string>((resolve) => io.socket.once("disconnect", (reason: string) => resolve(reason)));
    io.socket.emit("atlas_subscribe", { stream_type: "result", padding: "x".repeat(70 * 1024) });
    expect(await gone).toMatch(/transport close|transport error/);
  });
});

describe("metrics", () => {
  it("reports sessions, subscriptions, deliveries and commit-to-send lag", async () => {
    const text = await (await fetch(`${platform.gatewayUrl}/metrics`)).text();
    for (const name of [
      "gateway_stream_sessions", "gateway_stream_subscriptions", "gateway_results_delivered_total",
      "gateway_results_delivered_per_second", "gateway_clients_dropped_total", "gateway_commit_to_send_seconds_bucket",
    ]) expect(text).toContain(name);
  });
});

describe("a subscription whose database read fails", () => {
  it("gets atlas_error, and handling it does not reject (an unhandled rejection ends the process)", async () => {
    const broken = new pg.Pool({ connectionString: db.url });
    await broken.end();
    const metrics = new GatewayMetrics(new Registry());
    const hub = new StreamHub({ bus: new InProcessBus(), pool: broken, metrics, log: Fastify().log, limits: DEFAULT_LIMITS });
    const sent: Frame[] = [];
    class RecordingSession extends StreamSession {
      send(frame: Frame): void {
        sent.push(frame);
      }
      bufferedBytes(): number {
        return 0;
      }
      close(): void {}
    }
    const session = new RecordingSession({ name: "test", endsWithSubscription: false }, "127.0.0.1", ANONYMOUS);
    hub.attach(session);
    await expect(hub.handle(session, "atlas_subscribe", { stream_type: "result", msm: 1001 })).resolves.toBeUndefined();
    expect(sent.map((f) => f.event)).toEqual(["atlas_error"]);
    hub.detach(session);
    metrics.stop();
  });
});
