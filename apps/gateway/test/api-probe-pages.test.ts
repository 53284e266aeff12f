import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io } from "socket.io-client";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createApiKey, createTestDatabase, type TestDatabase, restCall, type JsonAnswer } from "@probestream/testkit";

const ADMIN = "test-admin-token";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PRB_ID = 7301;
const OTHER_PRB_ID = 7302;

type Json = JsonAnswer;

let db: TestDatabase;
let platform: Platform;
let alice: string;
let bob: string;
let secret: string;

const api = (method: string, path: string, key?: string, body?: unknown) => restCall(platform.gatewayUrl, method, path, key, body);

async function register(prbId: number): Promise<string> {
  const res = await fetch(`${platform.ingestUrl}/probe/register`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ prb_id: prbId, country_code: "NL", asn_v4: 3333, prefix_v4: "193.0.0.0/21", latitude: 52.37, longitude: 4.9 }),
  });
  return ((await res.json()) as { secret: string }).secret;
}

/** Opens and closes the probe's controller session: one connect and one disconnect recorded. */
async function connectAndLeave(): Promise<void> {
  const session = io(platform.ingestUrl, { path: "/probe/socket.io", transports: ["websocket"], auth: { prb_id: PRB_ID, secret, firmware: 5020 } });
  await new Promise<void>((resolve) => session.once("connect", () => resolve()));
  await expect.poll(async () => (await api("GET", `/api/v2/probes/${PRB_ID}/`)).body.status.id, { timeout: 5000 }).toBe(1);
  session.close();
  await expect.poll(async () => (await api("GET", `/api/v2/probes/${PRB_ID}/`)).body.status.id, { timeout: 5000 }).toBe(2);
}

async function createOn(prbId: number, key: string, isPublic: boolean, description: string): Promise<number> {
  const res = await api("POST", "/api/v2/measurements/", key, {
    definitions: [{ type: "ping", af: 4, target: "k.root-servers.net", description, is_public: isPublic }],
    probes: [{ type: "probes", value: String(prbId), requested: 1 }],
  });
  if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  return (res.body.measurements as number[])[0]!;
}

beforeAll(async () => {
  db = await createTestDatabase("api_probe_pages");
  platform = await startPlatform({ databaseUrl: db.url, redisUrl: REDIS_URL, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN });
  secret = await register(PRB_ID);
  await register(OTHER_PRB_ID);
  alice = (await createApiKey(db.url, "alice", ["measurements:create"])).key;
  bob = (await createApiKey(db.url, "bob", ["measurements:create"])).key;
});

afterAll(async () => {
  await platform?.close();
  await db?.drop();
});

describe("GET /api/v2/probes/<id>/status-history/", () => {
  it("lists the probe's connections and disconnections newest first, as the probestatus stream sends them", async () => {
    const before = Math.floor(Date.now() / 1000);
    await connectAndLeave();
    await connectAndLeave();
    const { status, body } = await api("GET", `/api/v2/probes/${PRB_ID}/status-history/`);
    expect(status).toBe(200);
    expect(body.count).toBe(4);
    expect(body.results.map((e: Json) => e.event)).toEqual(["disconnect", "connect", "disconnect", "connect"]);
    const [latest] = body.results as Json[];
    expect(latest).toMatchObject({ prb_id: PRB_ID, type: "connection", controller: "ctr-local", asn: 3333, prefix: "193.0.0.0/21", country: "NL" });
    expect(latest!.timestamp).toBeGreaterThanOrEqual(before);
    const timestamps = (body.results as Json[]).map((e) => e.timestamp as number);
    expect([...timestamps].sort((a, b) => b - a)).toEqual(timestamps);
  });

  it("pages", async () => {
    const first = await api("GET", `/api/v2/probes/${PRB_ID}/status-history/?page_size=3`);
    expect(first.body.results).toHaveLength(3);
    expect(first.body.next).toMatch(/page=2/);
    const second = await api("GET", `/api/v2/probes/${PRB_ID}/status-history/?page_size=3&page=2`);
    expect(second.body.results.map((e: Json) => e.event)).toEqual(["connect"]);
    expect(second.body.next).toBeNull();
  });

  it("is empty for a probe that never connected and 404 for an unknown probe", async () => {
    expect((await api("GET", `/api/v2/probes/${OTHER_PRB_ID}/status-history/`)).body).toMatchObject({ count: 0, results: [] });
    const unknown = await api("GET", "/api/v2/probes/999999/status-history/");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.detail).toContain("999999");
  });
});

describe("GET /api/v2/probes/<id>/measurements/", () => {
  let publicId: number;
  let privateId: number;

  beforeAll(async () => {
    publicId = await createOn(PRB_ID, alice, true, "public on the probe");
    privateId = await createOn(PRB_ID, alice, false, "private on the probe");
    await createOn(OTHER_PRB_ID, alice, true, "on another probe");
  });

  it("shows a measurement once the controller's scheduler assigns the probe", async () => {
    await expect.poll(async () => (await api("GET", `/api/v2/probes/${PRB_ID}/measurements/`, alice)).body.count, { timeout: 15_000 }).toBe(2);
  });

  it("lists the public measurements the probe takes part in to anyone", async () => {
    const { status, body } = await api("GET", `/api/v2/probes/${PRB_ID}/measurements/`);
    expect(status).toBe(200);
    expect(body.count).toBe(1);
    expect(body.results.map((m: Json) => m.id)).toEqual([publicId]);
    expect(body.results[0]).toMatchObject({ type: "ping", description: "public on the probe", is_public: true });
  });

  it("adds private ones for their owner only, newest first", async () => {
    const mine = await api("GET", `/api/v2/probes/${PRB_ID}/measurements/`, alice);
    expect(mine.body.results.map((m: Json) => m.id)).toEqual([privateId, publicId]);
    const others = await api("GET", `/api/v2/probes/${PRB_ID}/measurements/`, bob);
    expect(others.body.results.map((m: Json) => m.id)).toEqual([publicId]);
  });

  it("pages, and answers 404 for an unknown probe", async () => {
    const page = await api("GET", `/api/v2/probes/${PRB_ID}/measurements/?page_size=1`, alice);
    expect(page.body).toMatchObject({ count: 2, previous: null });
    expect(page.body.results).toHaveLength(1);
    expect(page.body.next).toMatch(/page=2/);
    expect((await api("GET", "/api/v2/probes/999999/measurements/")).status).toBe(404);
  });

  it("refuses a parameter's bad value at its name", async () => {
    const bad = await api("GET", `/api/v2/probes/${PRB_ID}/measurements/?page_size=0`);
    expect(bad.status).toBe(400);
  });
});
