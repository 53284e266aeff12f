import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { io as ioV4, type Socket } from "socket.io-client";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createTestDatabase, postResults, registerProbe, type TestDatabase, type TestProbe } from "@probestream/testkit";

const ADMIN = "test-admin-token";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const MSM = 7001;

let db: TestDatabase;
let platform: Platform;
let pool: pg.Pool;
let probe: TestProbe;
let watcher: Socket;
const streamed: Record<string, unknown>[] = [];

beforeAll(async () => {
  db = await createTestDatabase("ingest");
  pool = new pg.Pool({ connectionString: db.url });
  platform = await startPlatform({
    databaseUrl: db.url,
    redisUrl: REDIS_URL,
    gatewayPort: 0,
    ingestPort: 0,
    ingestAdminToken: ADMIN,
    probeHeartbeatMs: 500,
  });
  probe = await registerProbe(platform.ingestUrl, ADMIN, 4001);
  watcher = ioV4(platform.gatewayUrl, { path: "/stream/socket.io", transports: ["websocket"] });
  await new Promise((resolve) => {
    watcher.once("atlas_subscribed", resolve);
    watcher.emit("atlas_subscribe", { stream_type: "result", msm: MSM });
  });
  watcher.on("atlas_result", (r: Record<string, unknown>) => streamed.push(r));
});

afterAll(async () => {
  watcher?.close();
  await platform?.close();
  await pool?.end();
  await db?.drop();
});

let clock = 1_710_000_000;
function ping(overrides: Record<string, unknown> = {}) {
  clock += 1;
  return {
    fw: 5020, mver: "2.6.2", lts: 12, af: 4, type: "ping", prb_id: probe.prbId, msm_id: MSM, timestamp: clock,
    dst_addr: "193.0.14.129", dst_name: "k.root-servers.net", src_addr: "10.0.0.2", from: "192.0.2.10",
    proto: "ICMP", ttl: 55, size: 48, step: 240, sent: 3, rcvd: 2, dup: 0, min: 10.1, avg: 10.6, max: 11.1,
    result: [{ rtt: 10.1 }, { x: "*" }, { rtt: 11.1 }],
    ...overrides,
  };
}

async function storedCount(): Promise<number> {
  const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM results WHERE msm_id = $1", [MSM]);
  return Number(rows[0]!.n);
}

describe("ingest: probe-facing write path", () => {
  it("stores a batch, answering only once it is committed, and streams each result once", async () => {
    const before = await storedCount();
    const batch = [ping(), ping(), ping()];
    const { status, body } = await postResults(platform.ingestUrl, probe, batch);
    expect(status).toBe(200);
    expect(body).toEqual({ stored: 3, duplicates: 0, rejected: [] });
    // Committed before the answer: a fresh connection sees the rows at once.
    expect(await storedCount()).toBe(before + 3);
    await expect.poll(() => streamed.length).toBe(3);
  });

  it("accepts NDJSON, and a malformed line fails alone", async () => {
    const good = [ping(), ping()];
    const ndjson = `${JSON.stringify(good[0])}\n{"type": "ping", oops}\n${JSON.stringify(good[1])}\n`;
    const { status, body } = await postResults(platform.ingestUrl, probe, ndjson, "application/x-ndjson");
    expect(status).toBe(422);
    expect(body.stored).toBe(2);
    expect(body.rejected).toEqual([{ index: 1, field: "", message: expect.stringMatching(/not valid JSON/) }]);
  });

  it("a result sent twice is stored once and published once", async () => {
    const result = ping();
    const first = await postResults(platform.ingestUrl, probe, [result]);
    expect(first.body).toEqual({ stored: 1, duplicates: 0, rejected: [] });
    await expect.poll(() => streamed.some((r) => r.timestamp === result.timestamp)).toBe(true);
    const streamedBefore = streamed.length;
    const again = await postResults(platform.ingestUrl, probe, [result, result]);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ stored: 0, duplicates: 2, rejected: [] });
    const { rows } = await pool.query("SELECT 1 FROM results WHERE prb_id = $1 AND ts = to_timestamp($2)", [
      probe.prbId,
      result.timestamp,
    ]);
    expect(rows).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(streamed.length).toBe(streamedBefore);
  });

  it("malformed JSON gets a 400 that says so", async () => {
    const { status, body } = await postResults(platform.ingestUrl, probe, '[{"type": "ping",', "application/json");
    expect(status).toBe(400);
    expect(body.error?.detail).toMatch(/not valid JSON/);
  });

  it("a wrong type, a missing field and another probe's result are rejected by name; good ones are kept", async () => {
    const before = await storedCount();
    const good = ping();
    const { status, body } = await postResults(platform.ingestUrl, probe, [
      ping({ type: "smoke-signal" }),
      good,
      (({ timestamp: _t, ...rest }) => rest)(ping()),
      ping({ prb_id: probe.prbId + 1 }),
      ping({ af: "four" }),
    ]);
    expect(status).toBe(422);
    expect(body.stored).toBe(1);
    expect(body.rejected!.map((r) => [r.index, r.field])).toEqual([
      [0, "type"],
      [2, "timestamp"],
      [3, "prb_id"],
      [4, "af"],
    ]);
    expect(body.rejected![2]!.message).toMatch(/own/);
    expect(body.error?.detail).toMatch(/4 of 5 results rejected/);
    expect(await storedCount()).toBe(before + 1);
  });

  it("a batch of only another probe's results is forbidden", async () => {
    const { status, body } = await postResults(platform.ingestUrl, probe, [ping({ prb_id: 999 })]);
    expect(status).toBe(403);
    expect(body.rejected![0]!.field).toBe("prb_id");
  });

  it("an oversize body gets 413 and nothing of it is stored", async () => {
    const before = await storedCount();
    const huge = [ping({ padding: "x".repeat(17 * 1024 * 1024) })];
    const { status, body } = await postResults(platform.ingestUrl, probe, huge);
    expect(status).toBe(413);
    expect(body.error?.detail).toMatch(/too large|limit/i);
    expect(await storedCount()).toBe(before);
  });

  it("refuses unknown probes, wrong secrets and missing credentials", async () => {
    const wrong = { ...probe, authorization: `Probe ${probe.prbId}:not-the-secret` };
    expect((await postResults(platform.ingestUrl, wrong, [ping()])).status).toBe(401);
    const nobody = { ...probe, authorization: "Probe 424242:whatever" };
    expect((await postResults(platform.ingestUrl, nobody, [ping()])).status).toBe(401);
    const res = await fetch(`${platform.ingestUrl}/probe/results`, { method: "POST", body: "[]", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { detail: string } }).error.detail).toMatch(/authorization/);
  });

  it("registration needs the admin token, validates its body, and rotates a secret", async () => {
    const noToken = await fetch(`${platform.ingestUrl}/probe/register`, {
      method: "POST", headers: { "content-type": "application/json" }, body: "{}",
    });
    expect(noToken.status).toBe(401);
    const bad = await fetch(`${platform.ingestUrl}/probe/register`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ prb_id: -4 }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { detail: string } }).error.detail).toMatch(/prb_id/);
    const fresh = await registerProbe(platform.ingestUrl, ADMIN);
    expect(fresh.prbId).toBeGreaterThan(0);
    const rotated = await registerProbe(platform.ingestUrl, ADMIN, fresh.prbId);
    expect((await postResults(platform.ingestUrl, fresh, [])).status).toBe(401);
    expect((await postResults(platform.ingestUrl, rotated, [])).status).toBe(200);
  });

  it("records probe sessions as status events and probe status", async () => {
    const session = ioV4(platform.ingestUrl, {
      path: "/probe/socket.io",
      transports: ["websocket"],
      auth: { prb_id: probe.prbId, secret: probe.secret, firmware: 5020, address_v4: "192.0.2.44", address_v6: "2001:db8::44" },
    });
    await new Promise<void>((resolve) => session.once("connect", () => resolve()));
    await expect
      .poll(async () => (await pool.query("SELECT firmware, address_v4, address_v6 FROM probes WHERE id = $1", [probe.prbId])).rows[0])
      .toEqual({ firmware: 5020, address_v4: "192.0.2.44", address_v6: "2001:db8::44" });
    const status = async () =>
      (await pool.query<{ status: number }>("SELECT status FROM probes WHERE id = $1", [probe.prbId])).rows[0]!.status;
    await expect.poll(status).toBe(1);
    session.close();
    await expect.poll(status).toBe(2);
    const { rows } = await pool.query<{ event: string }>(
      "SELECT event FROM probe_status_events WHERE prb_id = $1 ORDER BY id",
      [probe.prbId],
    );
    expect(rows.map((r) => r.event)).toEqual(["connect", "disconnect"]);

    const refused = ioV4(platform.ingestUrl, {
      path: "/probe/socket.io",
      transports: ["websocket"],
      auth: { prb_id: probe.prbId, secret: "wrong" },
    });
    const err = await new Promise<Error>((resolve) => refused.once("connect_error", resolve));
    expect(err.message).toMatch(/wrong secret/);
    refused.close();
  });

  it("notices a probe gone silent: no heartbeat answered, so disconnected", async () => {
    const silent = await registerProbe(platform.ingestUrl, ADMIN, 4002);
    // A bare Engine.IO polling session: it connects, then never polls nor answers a ping again.
    const base = `${platform.ingestUrl}/probe/socket.io/?EIO=4&transport=polling`;
    const handshake = await (await fetch(base)).text();
    const sid = (JSON.parse(handshake.slice(1)) as { sid: string }).sid;
    await fetch(`${base}&sid=${sid}`, { method: "POST", body: `40${JSON.stringify({ prb_id: silent.prbId, secret: silent.secret })}` });
    expect(await (await fetch(`${base}&sid=${sid}`)).text()).toMatch(/^40/);
    const status = async () =>
      (await pool.query<{ status: number }>("SELECT status FROM probes WHERE id = $1", [silent.prbId])).rows[0]!.status;
    await expect.poll(status).toBe(1);
    await expect.poll(status, { timeout: 5000 }).toBe(2);
    const { rows } = await pool.query<{ event: string }>("SELECT event FROM probe_status_events WHERE prb_id = $1 ORDER BY id", [silent.prbId]);
    expect(rows.map((r) => r.event)).toEqual(["connect", "disconnect"]);
  });

  it("exposes Prometheus metrics", async () => {
    const text = await (await fetch(`${platform.ingestUrl}/metrics`)).text();
    expect(text).toMatch(/ingest_results_stored_total\{app="ingest"\} \d+/);
  });
});
