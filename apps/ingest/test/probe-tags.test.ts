import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encode } from "dns-packet";
import { createPool, refreshSystemTags, type Pool } from "@probestream/db";
import { startDemo, startPlatform, DEMO_MEASUREMENTS, type Platform } from "@probestream/standalone";
import { createApiKey, createTestDatabase, pingResult, postResults, type TestDatabase, type TestProbe } from "@probestream/testkit";
import { MeasurementStatusId } from "@probestream/types/status";
import { evidenceOf } from "../src/probe-evidence.js";

const ADMIN = "test-admin-token";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, read by path in assertions
type Json = Record<string, any>;

let db: TestDatabase;
let platform: Platform;
let pool: Pool;
let key: string;

async function register(body: Json): Promise<TestProbe> {
  const res = await fetch(`${platform.ingestUrl}/probe/register`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as Json;
  if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(answer)}`);
  return { prbId: answer.prb_id, secret: answer.secret, authorization: `Probe ${answer.prb_id}:${answer.secret}` };
}

async function get(path: string): Promise<Json> {
  const res = await fetch(`${platform.gatewayUrl}${path}${path.includes("?") ? "&" : "?"}key=${key}`);
  return (await res.json()) as Json;
}

const slugsOf = (probe: Json) => (probe.tags as { slug: string }[]).map((t) => t.slug).sort();

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function create(body: Json): Promise<number> {
  const res = await fetch(`${platform.gatewayUrl}/api/v2/measurements/?key=${key}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  const answer = (await res.json()) as Json;
  if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(answer)}`);
  return answer.measurements[0] as number;
}

const measurement = (id: number) => get(`/api/v2/measurements/${id}/`);
const settled = (m: Json) => m.status.id !== MeasurementStatusId.Specified;

/** A DNS answer as a probe reports it: `abuf` holds the whole response. */
function dnsResult(prbId: number, msmId: number, type: "A" | "AAAA", rcode: "NOERROR" | "NXDOMAIN" = "NOERROR"): Json {
  const answer = type === "A" ? { type, name: "example.net", ttl: 60, data: "192.0.2.1" } : { type, name: "example.net", ttl: 60, data: "2001:db8::1" };
  const abuf = encode({
    type: "response", id: 7, flags: rcode === "NXDOMAIN" ? 3 : 0,
    questions: [{ type, name: "example.net", class: "IN" }],
    answers: rcode === "NOERROR" ? [answer] : [],
  }).toString("base64");
  return {
    fw: 5020, af: 4, prb_id: prbId, msm_id: msmId, timestamp: Math.floor(Date.now() / 1000), type: "dns", proto: "UDP",
    dst_addr: "192.0.2.53", src_addr: "192.0.2.10", from: "192.0.2.10",
    result: { ID: 7, ANCOUNT: rcode === "NOERROR" ? 1 : 0, ARCOUNT: 0, NSCOUNT: 0, QDCOUNT: 1, abuf, rt: 12.5, size: 45 },
  };
}

beforeAll(async () => {
  db = await createTestDatabase("probe_tags");
  // Its connections may still be closing when the database is dropped: createPool keeps that from throwing.
  pool = createPool(db.url);
  platform = await startPlatform({
    databaseUrl: db.url, redisUrl: REDIS_URL, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN, evidenceFlushMs: 100,
  });
  key = (await createApiKey(db.url, "dora", ["measurements:create", "results:read_private"])).key;
});

afterAll(async () => {
  await platform?.close();
  await pool?.end();
  await db?.drop();
});

describe("what one result shows about its probe", () => {
  const now = Math.floor(Date.now() / 1000);
  it("counts answered pings, HTTP responses and certificates for their address family, and failures not at all", () => {
    expect(evidenceOf(pingResult(1, 1, now))).toEqual({ ipv4WorksAt: now });
    expect(evidenceOf({ ...pingResult(1, 1, now), af: 6, dst_addr: "2001:db8::1", rcvd: 3 })).toEqual({ ipv6WorksAt: now });
    expect(evidenceOf({ ...pingResult(1, 1, now), rcvd: 0 })).toBeNull();
    expect(evidenceOf({ type: "http", timestamp: now, result: [{ af: 6, res: 200, dst_addr: "2001:db8::1" }] })).toEqual({ ipv6WorksAt: now });
    expect(evidenceOf({ type: "http", timestamp: now, result: [{ af: 4, err: "timeout" }] })).toBeNull();
    expect(evidenceOf({ type: "sslcert", af: 4, timestamp: now, cert: ["-----BEGIN CERTIFICATE-----"] })).toEqual({ ipv4WorksAt: now });
  });

  it("counts a traceroute only when something beyond the first hop answered", () => {
    const hop = (n: number, from?: string) => ({ hop: n, result: [from ? { from, rtt: 1 } : { x: "*" }] });
    const base = { type: "traceroute", af: 4, timestamp: now, dst_addr: "192.0.2.99" };
    expect(evidenceOf({ ...base, result: [hop(1, "192.168.1.1"), hop(2)] })).toBeNull();
    expect(evidenceOf({ ...base, result: [hop(1, "192.168.1.1"), hop(2, "198.51.100.1")] })).toEqual({ ipv4WorksAt: now });
  });

  it("reads the DNS answer buffer: a NOERROR answer of the type asked resolves it correctly", () => {
    expect(evidenceOf(dnsResult(1, 1, "A"))).toEqual({ resolvesAAt: expect.any(Number) });
    expect(evidenceOf(dnsResult(1, 1, "AAAA"))).toEqual({ resolvesAaaaAt: expect.any(Number) });
    expect(evidenceOf(dnsResult(1, 1, "A", "NXDOMAIN"))).toBeNull();
    expect(evidenceOf({ type: "dns", timestamp: now, result: { abuf: "not base64 dns" } })).toBeNull();
  });
});

describe("probe tags, system ones included", () => {
  let dual: TestProbe;
  let v4only: TestProbe;
  let anchor: TestProbe;

  beforeAll(async () => {
    dual = await register({ prb_id: 9101, address_v4: "192.168.7.2", address_v6: "2001:db8::7", country_code: "nl", asn_v4: 3333, tags: ["home", "fibre"] });
    v4only = await register({ prb_id: 9102, address_v4: "198.51.100.2", country_code: "nl", asn_v4: 3333 });
    anchor = await register({ prb_id: 9103, address_v4: "198.51.100.3", is_anchor: true });
  });

  it("are set at registration from what the probe reports, beside its user tags, in RIPE's {name, slug} shape", async () => {
    const probe = await get(`/api/v2/probes/${dual.prbId}/`);
    expect(slugsOf(probe)).toEqual(["fibre", "home", "system-ipv4-capable", "system-ipv4-rfc1918", "system-ipv6-capable"]);
    expect(probe.tags).toContainEqual({ name: "System: IPv6 Capable", slug: "system-ipv6-capable" });
    expect(probe.tags).toContainEqual({ name: "home", slug: "home" });
    expect(slugsOf(await get(`/api/v2/probes/${anchor.prbId}/`))).toEqual(["system-anchor", "system-ipv4-capable"]);
  });

  it("refuses system tags from probe hosts", async () => {
    const res = await fetch(`${platform.ingestUrl}/probe/register`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ tags: ["system-ipv4-works"] }),
    });
    expect(res.status).toBe(400);
  });

  it("follow what the probe measures: IPv4 works, resolves A correctly", async () => {
    expect(slugsOf(await get(`/api/v2/probes/${v4only.prbId}/`))).not.toContain("system-ipv4-works");
    const posted = await postResults(platform.ingestUrl, v4only, [pingResult(v4only.prbId, 5001, Math.floor(Date.now() / 1000)), dnsResult(v4only.prbId, 5002, "A")]);
    expect(posted.status).toBe(200);
    const probe = await waitFor(() => get(`/api/v2/probes/${v4only.prbId}/`), (p) => slugsOf(p).includes("system-resolves-a-correctly"));
    expect(slugsOf(probe)).toEqual(["system-ipv4-capable", "system-ipv4-works", "system-resolves-a-correctly"]);
  });

  it("are kept current: evidence older than a day no longer holds the tag", async () => {
    await pool.query("UPDATE probe_evidence SET ipv4_works_at = now() - interval '25 hours' WHERE prb_id = $1", [v4only.prbId]);
    await refreshSystemTags(pool);
    expect(slugsOf(await get(`/api/v2/probes/${v4only.prbId}/`))).toEqual(["system-ipv4-capable", "system-resolves-a-correctly"]);
    await postResults(platform.ingestUrl, v4only, [pingResult(v4only.prbId, 5001, Math.floor(Date.now() / 1000) - 5)]);
    await waitFor(() => get(`/api/v2/probes/${v4only.prbId}/`), (p) => slugsOf(p).includes("system-ipv4-works"));
  });

  it("select probes as ripe-atlas-tools' measure asks for them (system-ipv4-works), and exclude by tag", async () => {
    const works = await create({
      definitions: [{ type: "ping", af: 4, target: "192.0.2.1", description: "tools default source" }],
      probes: [{ type: "area", value: "WW", requested: 5, tags: { include: ["system-ipv4-works"] } }],
    });
    const m = await waitFor(() => measurement(works), settled);
    expect(m.participant_count).toBe(1);
    expect(m.probes_scheduled).toBe(1);
    const excluded = await create({
      definitions: [{ type: "ping", af: 4, target: "192.0.2.1", description: "not at home" }],
      probes: [{ type: "country", value: "NL", requested: 5, tags: { exclude: ["home"] } }],
    });
    expect((await waitFor(() => measurement(excluded), settled)).participant_count).toBe(1);
    const rows = await pool.query("SELECT prb_id FROM measurement_probes WHERE msm_id = ANY($1::int[]) ORDER BY msm_id", [[works, excluded]]);
    expect(rows.rows.map((r) => r.prb_id)).toEqual([v4only.prbId, v4only.prbId]);
  });
});

describe("the measurement resource tells the truth", () => {
  it("af 6 goes only to probes with IPv6, and without any the measurement has no suitable probes", async () => {
    const v6 = await create({
      definitions: [{ type: "ping", af: 6, target: "2001:db8::1", description: "v6" }],
      probes: [{ type: "asn", value: 3333, requested: 5 }],
    });
    const m = await waitFor(() => measurement(v6), settled);
    expect(m.af).toBe(6);
    expect(m.participant_count).toBe(1);
    const { rows } = await pool.query("SELECT prb_id FROM measurement_probes WHERE msm_id = $1", [v6]);
    expect(rows).toEqual([{ prb_id: 9101 }]);
    const none = await create({
      definitions: [{ type: "ping", af: 6, target: "2001:db8::1", description: "v6 nowhere" }],
      probes: [{ type: "probes", value: "9102,9103", requested: 2 }],
    });
    const refused = await waitFor(() => measurement(none), settled);
    expect(refused.status).toMatchObject({ id: 6, name: "No suitable probes" });
    expect(refused.participant_count).toBe(0);
  });

  it("an ongoing measurement has its start time, interval and probes; a participation request updates its probe sources", async () => {
    const id = await create({
      definitions: [{ type: "ping", af: 4, target: "192.0.2.1", description: "periodic", interval: 300 }],
      probes: [{ type: "probes", value: "9102", requested: 1 }],
    });
    const m = await waitFor(() => measurement(id), (x) => x.status.id === MeasurementStatusId.Ongoing);
    expect(m.start_time).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(m).toMatchObject({ interval: 300, af: 4, participant_count: 1, probes_scheduled: 1, probes_requested: 1 });
    const res = await fetch(`${platform.gatewayUrl}/api/v2/measurements/${id}/participation-requests/?key=${key}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ action: "add", type: "probes", value: "9103", requested: 1 }]),
    });
    expect(res.status).toBe(201);
    const changed = await measurement(id);
    expect(changed.probe_sources).toEqual([
      { type: "probes", value: "9102", requested: 1 },
      { type: "probes", value: "9103", requested: 1 },
    ]);
    expect(changed).toMatchObject({ participant_count: 2, probes_scheduled: 2, probes_requested: 2 });
  });

  it("the demo measurements are what the simulated fleet does: IPv4, ongoing since the start, on its probes, at its interval", async () => {
    const fleet = await startDemo({ databaseUrl: db.url, ingestUrl: platform.ingestUrl, adminToken: ADMIN, probes: 6, rate: 6 });
    try {
      for (const demo of DEMO_MEASUREMENTS) {
        const m = await measurement(demo.id);
        const probes = fleet.assignments.get(demo.id)!;
        expect(m).toMatchObject({ id: demo.id, type: demo.type, af: 4, target: demo.target, status: { id: 2, name: "Ongoing" } });
        expect(m.participant_count).toBe(probes.length);
        expect(m.probes_scheduled).toBe(probes.length);
        expect(m.interval).toBeGreaterThan(0);
        expect(m.start_time).toBeGreaterThan(0);
        expect(m.probe_sources).toEqual([{ type: "probes", value: probes.join(","), requested: probes.length }]);
      }
    } finally {
      await fleet.stop();
    }
  });
});
