import type { ProbeAssignment } from "@probestream/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import { startPlatform, type Platform } from "@probestream/standalone";
import {
  StreamClient, createApiKey, createTestDatabase, pingResult, postResults, registerProbe, type TestDatabase, type TestProbe,
} from "@probestream/testkit";

const ADMIN = "test-admin-token";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, read by path in assertions
type Json = Record<string, any>;
type Assignment = ProbeAssignment;

let db: TestDatabase;
let platform: Platform;
let key: string;
let watcher: StreamClient;
const fleet: TestProbe[] = [];
const sessions: Socket[] = [];

/** A probe's session, recording every assignment list it is sent. */
function connect(probe: TestProbe): { socket: Socket; lists: Assignment[][] } {
  const lists: Assignment[][] = [];
  const socket = io(platform.ingestUrl, {
    path: "/probe/socket.io", transports: ["websocket"], forceNew: true, reconnection: false,
    auth: { prb_id: probe.prbId, secret: probe.secret, firmware: 5020 },
  });
  socket.on("assignments", (list: Assignment[]) => lists.push(list));
  sessions.push(socket);
  return { socket, lists };
}

const msmsOf = (list: Assignment[] | undefined) => (list ?? []).map((a) => a.msm_id);

async function create(body: Json, status = 201): Promise<number[]> {
  const res = await fetch(`${platform.gatewayUrl}/api/v2/measurements/?key=${key}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  const answer = (await res.json()) as Json;
  if (res.status !== status) throw new Error(`${res.status} ${JSON.stringify(answer)}`);
  return answer.measurements as number[];
}

async function measurement(id: number): Promise<Json> {
  return (await (await fetch(`${platform.gatewayUrl}/api/v2/measurements/${id}/`)).json()) as Json;
}

/** The metadata events seen for a measurement: [event, status id]. */
function eventsOf(msmId: number): [string, number][] {
  return watcher.events
    .filter((e) => e.event === "atlas_metadata" && (e.payload as Json).msm_id === msmId)
    .map((e) => [(e.payload as Json).event as string, (e.payload as Json).status.id as number]);
}

beforeAll(async () => {
  db = await createTestDatabase("scheduler");
  platform = await startPlatform({ databaseUrl: db.url, redisUrl: REDIS_URL, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN });
  for (const id of [8001, 8002, 8003]) fleet.push(await registerProbe(platform.ingestUrl, ADMIN, id));
  key = (await createApiKey(db.url, "carol", ["measurements:create", "results:read_private"])).key;
  watcher = new StreamClient(platform.gatewayUrl, { key });
  await watcher.subscribe({ stream_type: "metadata" });
});

afterAll(async () => {
  for (const s of sessions) s.close();
  watcher?.close();
  await platform?.close();
  await db?.drop();
});

const ping = { type: "ping", af: 4, target: "192.0.2.1", description: "sched", packets: 3 };

describe("the scheduler", () => {
  it("moves a measurement Specified -> Scheduled -> Ongoing -> Stopped, publishing each change, and tells its probes", async () => {
    const a = connect(fleet[0]!);
    await expect.poll(() => a.lists.length).toBe(1);
    expect(a.lists[0]).toEqual([]);
    const now = Math.floor(Date.now() / 1000);
    const [id] = await create({
      definitions: [{ ...ping, interval: 60 }],
      probes: [{ type: "probes", value: "8001,8002", requested: 2 }],
      start_time: now + 3, stop_time: now + 6,
    });
    await expect.poll(() => eventsOf(id!), { timeout: 5000 }).toEqual([["created", 0], ["changed", 1]]);
    expect(await measurement(id!)).toMatchObject({ status: { id: 1, name: "Scheduled" }, probes_scheduled: 2 });
    await expect.poll(() => msmsOf(a.lists.at(-1))).toEqual([id]);
    expect(a.lists.at(-1)![0]).toEqual({
      msm_id: id, type: "ping", interval: 60, is_oneoff: false, start_time: now + 3, stop_time: now + 6, spread: null,
      definition: { ...ping, interval: 60, size: 48 },
    });

    // A probe connecting later gets its full list at once.
    const b = connect(fleet[1]!);
    await expect.poll(() => msmsOf(b.lists.at(-1))).toEqual([id]);

    await expect.poll(() => eventsOf(id!), { timeout: 8000 }).toEqual([["created", 0], ["changed", 1], ["changed", 2]]);
    await expect.poll(() => eventsOf(id!), { timeout: 8000 }).toEqual([["created", 0], ["changed", 1], ["changed", 2], ["stopped", 4]]);
    expect((await measurement(id!)).status).toMatchObject({ id: 4, name: "Stopped" });
    await expect.poll(() => msmsOf(a.lists.at(-1))).toEqual([]);
    await expect.poll(() => msmsOf(b.lists.at(-1))).toEqual([]);
  });

  it("stops a one-off once every probe has reported", async () => {
    const c = connect(fleet[2]!);
    const [id] = await create({ definitions: [{ ...ping, is_oneoff: true }], probes: [{ type: "probes", value: "8003", requested: 1 }] });
    await expect.poll(() => eventsOf(id!).map(([, s]) => s), { timeout: 5000 }).toEqual([0, 1, 2]);
    await expect.poll(() => c.lists.at(-1)?.find((x) => x.msm_id === id)?.is_oneoff).toBe(true);
    const t = Math.floor(Date.now() / 1000);
    expect((await postResults(platform.ingestUrl, fleet[2]!, [pingResult(8003, id!, t)])).status).toBe(200);
    await expect.poll(() => eventsOf(id!).at(-1), { timeout: 5000 }).toEqual(["stopped", 4]);
    await expect.poll(() => msmsOf(c.lists.at(-1))).not.toContain(id);
  });

  it("takes a measurement off its probes on DELETE and on participation changes", async () => {
    const a = connect(fleet[0]!);
    const [id] = await create({ definitions: [ping], probes: [{ type: "probes", value: "8001", requested: 1 }] });
    await expect.poll(() => msmsOf(a.lists.at(-1)), { timeout: 5000 }).toContain(id);
    const c = connect(fleet[2]!);
    await expect.poll(() => c.lists.length).toBe(1);
    expect(msmsOf(c.lists[0])).not.toContain(id);
    const added = await fetch(`${platform.gatewayUrl}/api/v2/measurements/${id}/participation-requests/?key=${key}`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify([{ action: "add", type: "probes", value: "8003", requested: 1 }]),
    });
    expect(added.status).toBe(201);
    await expect.poll(() => msmsOf(c.lists.at(-1))).toContain(id);
    const stopped = await fetch(`${platform.gatewayUrl}/api/v2/measurements/${id}/?key=${key}`, { method: "DELETE" });
    expect(stopped.status).toBe(204);
    await expect.poll(() => msmsOf(a.lists.at(-1))).not.toContain(id);
    await expect.poll(() => msmsOf(c.lists.at(-1))).not.toContain(id);
    await expect.poll(() => eventsOf(id!).at(-1)).toEqual(["stopped", 4]);
  });

  it("publishes 'No suitable probes' when the selection matches none", async () => {
    const [id] = await create({ definitions: [ping], probes: [{ type: "country", value: "NZ", requested: 3 }] });
    await expect.poll(() => eventsOf(id!), { timeout: 5000 }).toEqual([["created", 0], ["changed", 6]]);
  });

  it("streams a private measurement's events only to its owner", async () => {
    const anonymous = new StreamClient(platform.gatewayUrl);
    await anonymous.subscribe({ stream_type: "metadata" });
    const [id] = await create({ definitions: [ping], probes: [{ type: "probes", value: "8001", requested: 1 }], is_public: false });
    await expect.poll(() => eventsOf(id!).length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(anonymous.events.filter((e) => e.event === "atlas_metadata" && (e.payload as Json).msm_id === id)).toEqual([]);
    anonymous.close();
  });
});
