import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as ioV4, type Socket as SocketV4 } from "socket.io-client";
import ioV2 from "socket.io-client-v2";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createTestDatabase, loadFixtures, postResults, registerProbe, type TestDatabase, type TestProbe } from "@probestream/testkit";

const ADMIN = "test-admin-token";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let db: TestDatabase;
let platform: Platform;

beforeAll(async () => {
  db = await createTestDatabase("live_path");
  platform = await startPlatform({
    databaseUrl: db.url,
    redisUrl: REDIS_URL,
    gatewayPort: 0,
    ingestPort: 0,
    ingestAdminToken: ADMIN,
  });
});

afterAll(async () => {
  await platform?.close();
  await db?.drop();
});

type Json = Record<string, unknown>;

/** Collects `atlas_result` events until `count` arrived or the time is up. */
function collect(socket: { on(ev: string, fn: (r: Json) => void): unknown }, count: number, ms = 5000): Promise<Json[]> {
  const got: Json[] = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(got), ms);
    socket.on("atlas_result", (r: Json) => {
      got.push(r);
      if (got.length === count) {
        clearTimeout(timer);
        // Linger briefly: anything beyond `count` would be a wrong delivery.
        setTimeout(() => resolve(got), 300);
      }
    });
  });
}

function subscribeV4(params: Json): Promise<SocketV4> {
  const socket = ioV4(platform.gatewayUrl, { path: "/stream/socket.io", transports: ["websocket"] });
  return new Promise((resolve, reject) => {
    socket.once("atlas_subscribed", () => resolve(socket));
    socket.once("atlas_error", (e: unknown) => reject(new Error(JSON.stringify(e))));
    socket.emit("atlas_subscribe", params);
  });
}

function withoutStored(r: Json): Json {
  const { stored_timestamp: _ignored, ...rest } = r;
  return rest;
}

describe("every RIPE Atlas sample, through the whole live path", () => {
  const fixtures = loadFixtures();
  const probes = new Map<number, TestProbe>();

  it("is accepted, stored, streamed and downloaded back equal to what was sent", async () => {
    for (const f of fixtures) {
      const id = Number(f.result.prb_id);
      if (!probes.has(id)) probes.set(id, await registerProbe(platform.ingestUrl, ADMIN, id));
    }
    const everything = await subscribeV4({ stream_type: "result" });
    const streamed = collect(everything, fixtures.length, 15_000);
    const started = Math.floor(Date.now() / 1000);

    for (const f of fixtures) {
      const { status, body } = await postResults(platform.ingestUrl, probes.get(Number(f.result.prb_id))!, [f.result]);
      expect({ file: f.file, status, body }).toEqual({ file: f.file, status: 200, body: { stored: 1, duplicates: 0, rejected: [] } });
    }

    const live = await streamed;
    everything.close();
    expect(live).toHaveLength(fixtures.length);
    for (const r of live) {
      expect(r.stored_timestamp).toBeGreaterThanOrEqual(started - 1);
    }
    const sent = fixtures.map((f) => f.result);
    expect(live.map(withoutStored)).toEqual(expect.arrayContaining(sent));

    // Download each measurement's results in both formats and find every sample again.
    const byMsm = new Map<number, Json[]>();
    for (const f of fixtures) {
      const msm = Number(f.result.msm_id);
      byMsm.set(msm, [...(byMsm.get(msm) ?? []), f.result]);
    }
    for (const [msm, expected] of byMsm) {
      const json = await fetch(`${platform.gatewayUrl}/api/v2/measurements/${msm}/results/?format=json`);
      expect(json.status).toBe(200);
      expect(json.headers.get("content-type")).toMatch(/application\/json/);
      const downloaded = (await json.json()) as Json[];
      expect(downloaded.map(withoutStored)).toEqual(expect.arrayContaining(expected));
      expect(downloaded).toHaveLength(expected.length);
      for (const r of downloaded) expect(typeof r.stored_timestamp).toBe("number");

      const txt = await (await fetch(`${platform.gatewayUrl}/api/v2/measurements/${msm}/results/?format=txt`)).text();
      const lines = txt.trimEnd().split("\n").map((l) => JSON.parse(l) as Json);
      expect(lines).toEqual(downloaded);
    }
  });

  it("serves the newest result of each probe on /latest/", async () => {
    for (const f of fixtures) {
      const msm = Number(f.result.msm_id);
      const res = await fetch(`${platform.gatewayUrl}/api/v2/measurements/${msm}/latest`);
      expect(res.status).toBe(200);
      const latest = (await res.json()) as Json[];
      const newest = Math.max(
        ...fixtures
          .filter((x) => Number(x.result.msm_id) === msm && x.result.prb_id === f.result.prb_id)
          .map((x) => Number(x.result.timestamp)),
      );
      const mine = latest.filter((r) => r.prb_id === f.result.prb_id);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.timestamp).toBe(newest);
    }
  });

  it("filters downloads by time and probe, and answers 404/400 clearly", async () => {
    const f = fixtures.find((x) => x.file === "traceroute/traceroute-001.json")!;
    const msm = Number(f.result.msm_id);
    const ts = Number(f.result.timestamp);
    const base = `${platform.gatewayUrl}/api/v2/measurements/${msm}/results/`;
    const inside = (await (await fetch(`${base}?start=${ts}&stop=${ts}&probe_ids=${f.result.prb_id}`)).json()) as Json[];
    expect(inside.map(withoutStored)).toContainEqual(f.result);
    expect(await (await fetch(`${base}?start=${ts + 1}`)).json()).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ timestamp: ts, prb_id: f.result.prb_id })]),
    );
    const missing = await fetch(`${platform.gatewayUrl}/api/v2/measurements/999999999/results/`);
    expect(missing.status).toBe(404);
    const bad = await fetch(`${base}?start=yesterday`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { detail: string } }).error.detail).toMatch(/start/);
  });
});

describe("live subscriptions", () => {
  const MSM_A = 5001;
  const MSM_B = 5002;
  let probe1: TestProbe;
  let probe2: TestProbe;

  beforeAll(async () => {
    probe1 = await registerProbe(platform.ingestUrl, ADMIN, 9001);
    probe2 = await registerProbe(platform.ingestUrl, ADMIN, 9002);
  });

  const ping = (prb: number, msm: number, ts: number) => ({
    fw: 5020, af: 4, type: "ping", prb_id: prb, msm_id: msm, timestamp: ts, dst_addr: "193.0.14.129",
    src_addr: "10.0.0.2", from: "192.0.2.10", proto: "ICMP", ttl: 55, size: 48, step: 240,
    sent: 3, rcvd: 3, dup: 0, min: 10.1, avg: 11.2, max: 12.3, result: [{ rtt: 10.1 }, { rtt: 11.2 }, { rtt: 12.3 }],
  });
  const dns = (prb: number, msm: number, ts: number) => ({
    fw: 5020, af: 4, type: "dns", prb_id: prb, msm_id: msm, timestamp: ts, dst_addr: "193.0.14.129",
    from: "192.0.2.11", proto: "UDP",
    result: { ANCOUNT: 1, ARCOUNT: 0, ID: 1, NSCOUNT: 0, QDCOUNT: 1, abuf: "AAGEAAABAAEAAAAAAAABAAHADAABAAEAAA4QAATBAA6B", rt: 3.2, size: 32 },
  });

  it("a socket.io v4 client and an Engine.IO 3 (socket.io v2) client both receive a result posted after subscribing", async () => {
    const v4 = await subscribeV4({ stream_type: "result", msm: MSM_A });
    const v2 = ioV2(platform.gatewayUrl, { path: "/stream/socket.io", transports: ["websocket"], forceNew: true });
    await new Promise<void>((resolve, reject) => {
      v2.once("atlas_subscribed", () => resolve());
      v2.once("connect_error", reject);
      v2.emit("atlas_subscribe", { stream_type: "result", msm: MSM_A });
    });
    const gotV4 = collect(v4, 1);
    const gotV2 = collect(v2, 1);
    const result = ping(probe1.prbId, MSM_A, 1_700_000_000);
    expect((await postResults(platform.ingestUrl, probe1, [result])).status).toBe(200);
    expect((await gotV4).map(withoutStored)).toEqual([result]);
    expect((await gotV2).map(withoutStored)).toEqual([result]);
    v4.close();
    v2.close();
  });

  it.each([
    ["long-polling only", ["polling"]],
    ["long-polling, then the websocket upgrade", ["polling", "websocket"]],
  ])("a socket.io v2 client on %s receives results (in Node it asks for base64: binary framing is for Chromium)", async (_name, transports) => {
    const v2 = ioV2(platform.gatewayUrl, { path: "/stream/socket.io", transports, forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      v2.once("atlas_subscribed", () => resolve());
      v2.once("connect_error", reject);
      v2.emit("atlas_subscribe", { stream_type: "result", msm: MSM_A, buffering: true });
    });
    const got = collect(v2, 1);
    const result = ping(probe1.prbId, MSM_A, 1_700_000_050 + transports.length);
    expect((await postResults(platform.ingestUrl, probe1, [result])).status).toBe(200);
    expect((await got).map((batch) => (batch as unknown as Json[]).map(withoutStored))).toEqual([[result]]);
    v2.close();
  });

  it("frames Engine.IO 3 polling as binary unless the client asks for base64, Engine.IO 4 as text, and takes the doubled slash", async () => {
    const handshake = (query: string, path = "/stream/socket.io/") => fetch(`${platform.gatewayUrl}${path}?${query}&transport=polling`);
    const binary = await handshake("EIO=3", "//stream/socket.io/");
    expect(binary.status).toBe(200);
    expect(binary.headers.get("content-type")).toBe("application/octet-stream");
    const bytes = new Uint8Array(await binary.arrayBuffer());
    // 0x00 (a string packet), its length as digit bytes, 0xFF, then the open packet.
    const end = bytes.indexOf(255);
    const length = Number(Array.from(bytes.slice(1, end)).join(""));
    expect(bytes[0]).toBe(0);
    expect(bytes.length).toBeGreaterThanOrEqual(end + 1 + length);
    expect(new TextDecoder().decode(bytes.slice(end + 1, end + 1 + length))).toMatch(/^0\{"sid":/);
    const base64 = await handshake("EIO=3&b64=1");
    expect(base64.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await base64.text()).toMatch(/^\d+:0\{"sid":/);
    const v4 = await handshake("EIO=4");
    expect(v4.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await v4.text()).toMatch(/^0\{"sid":/);
  });

  it("filters by msm, prb and type deliver exactly the matching results", async () => {
    const ts = 1_700_000_100;
    const posted = [
      ping(probe1.prbId, MSM_A, ts), ping(probe1.prbId, MSM_B, ts), dns(probe1.prbId, MSM_B, ts + 1),
      ping(probe2.prbId, MSM_A, ts), dns(probe2.prbId, MSM_B, ts + 2),
    ];
    const cases: [Json, (r: Json) => boolean][] = [
      [{ stream_type: "result", msm: MSM_B }, (r) => r.msm_id === MSM_B],
      [{ stream_type: "result", prb: probe2.prbId }, (r) => r.prb_id === probe2.prbId],
      [{ stream_type: "result", type: "dns" }, (r) => r.type === "dns"],
      [{ stream_type: "result", msm: MSM_A, prb: probe2.prbId }, (r) => r.msm_id === MSM_A && r.prb_id === probe2.prbId],
      [{ streamType: "result", msm: String(MSM_B), type: "ping" }, (r) => r.msm_id === MSM_B && r.type === "ping"],
    ];
    const sockets = await Promise.all(cases.map(([params]) => subscribeV4(params)));
    const expected = cases.map(([, match]) => posted.filter(match));
    const received = sockets.map((s, i) => collect(s, expected[i]!.length));
    expect((await postResults(platform.ingestUrl, probe1, posted.slice(0, 3))).status).toBe(200);
    expect((await postResults(platform.ingestUrl, probe2, posted.slice(3))).status).toBe(200);
    for (let i = 0; i < cases.length; i++) {
      const got = (await received[i]!).map(withoutStored);
      expect(got).toHaveLength(expected[i]!.length);
      expect(got).toEqual(expect.arrayContaining(expected[i]!));
    }
    sockets.forEach((s) => s.close());
  });

  it("a malformed subscription gets atlas_error naming the problem, and the socket stays usable", async () => {
    const socket = ioV4(platform.gatewayUrl, { path: "/stream/socket.io", transports: ["websocket"] });
    const errorOf = (params: unknown) =>
      new Promise<{ message: string }>((resolve) => {
        socket.once("atlas_error", resolve);
        socket.emit("atlas_subscribe", params);
      });
    expect((await errorOf({ stream_type: "result", msm: "abc" })).message).toMatch(/msm/);
    expect((await errorOf({ msm: 1 })).message).toMatch(/stream_?[tT]ype/);
    expect((await errorOf({ stream_type: "result", type: "smoke-signal" })).message).toMatch(/type/);
    expect((await errorOf({ stream_type: "result", msn: 1 })).message).toMatch(/msn/);
    const subscribed = new Promise((resolve) => socket.once("atlas_subscribed", resolve));
    socket.emit("atlas_subscribe", { stream_type: "result", msm: MSM_A });
    expect(await subscribed).toEqual({ stream_type: "result", msm: MSM_A });
    const got = collect(socket, 1);
    const result = ping(probe1.prbId, MSM_A, 1_700_000_200);
    await postResults(platform.ingestUrl, probe1, [result]);
    expect((await got).map(withoutStored)).toEqual([result]);

    const unsubscribed = new Promise((resolve) => socket.once("atlas_unsubscribed", resolve));
    socket.emit("atlas_unsubscribe", { stream_type: "result", msm: MSM_A });
    await unsubscribed;
    const none = collect(socket, 1, 700);
    await postResults(platform.ingestUrl, probe1, [ping(probe1.prbId, MSM_A, 1_700_000_300)]);
    expect(await none).toEqual([]);
    socket.close();
  });

  it("probe connection status is streamed as atlas_probestatus", async () => {
    const watcher = ioV4(platform.gatewayUrl, { path: "/stream/socket.io", transports: ["websocket"] });
    await new Promise((resolve) => {
      watcher.once("atlas_subscribed", resolve);
      watcher.emit("atlas_subscribe", { stream_type: "probestatus", prb: probe2.prbId });
    });
    const events: Json[] = [];
    watcher.on("atlas_probestatus", (e: Json) => events.push(e));
    const session = ioV4(platform.ingestUrl, {
      path: "/probe/socket.io",
      transports: ["websocket"],
      auth: { prb_id: probe2.prbId, secret: probe2.secret, firmware: 5020 },
    });
    await new Promise<void>((resolve) => session.once("connect", () => resolve()));
    await expect.poll(() => events.length, { timeout: 5000 }).toBe(1);
    session.close();
    await expect.poll(() => events.length, { timeout: 5000 }).toBe(2);
    expect(events.map((e) => [e.prb_id, e.type, e.event])).toEqual([
      [probe2.prbId, "connection", "connect"],
      [probe2.prbId, "connection", "disconnect"],
    ]);
    expect(typeof events[0]!.timestamp).toBe("number");
    expect(events[0]!.controller).toBe("ctr-local");
    watcher.close();
  });

  it("serves the socket.io browser client where the RIPE seed page loads it", async () => {
    const res = await fetch(`${platform.gatewayUrl}/socket.io.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect(await res.text()).toMatch(/Socket\.IO v4/);
  });
});
