import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createApiKey, createTestDatabase, pingResult, postResults, type TestDatabase, type TestProbe, restCall, type JsonAnswer } from "@probestream/testkit";

const ADMIN = "test-admin-token";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

type Json = JsonAnswer;

let db: TestDatabase;
let platform: Platform;
let alice: string;
let bob: string;
let aliceReadOnly: string;
const probes: TestProbe[] = [];

/** Probes spread over the areas: Amsterdam, New York, Sydney, Tokyo, Nairobi; three of them on IPv6 too (for af 6). */
const FLEET = [
  { prb_id: 7001, country_code: "NL", asn_v4: 3333, address_v4: "193.0.0.10", address_v6: "2001:67c:2e8::10", prefix_v4: "193.0.0.0/21", latitude: 52.37, longitude: 4.9 },
  { prb_id: 7002, country_code: "US", asn_v4: 701, address_v4: "198.51.100.7", address_v6: "2001:db8:7::7", prefix_v4: "198.51.100.0/24", latitude: 40.7, longitude: -74 },
  { prb_id: 7003, country_code: "AU", asn_v4: 1221, address_v4: "203.0.113.9", address_v6: "2001:db8:3::9", prefix_v4: "203.0.113.0/24", latitude: -33.9, longitude: 151.2 },
  { prb_id: 7004, country_code: "JP", asn_v4: 2497, address_v4: "192.0.2.44", address_v6: "2001:db8:4::44", prefix_v4: "192.0.2.0/24", latitude: 35.7, longitude: 139.7 },
  { prb_id: 7005, country_code: "KE", asn_v4: 33771, address_v4: "196.201.1.1", prefix_v4: "196.201.0.0/16", latitude: -1.3, longitude: 36.8 },
];

const api = (method: string, path: string, key?: string, body?: unknown) => restCall(platform.gatewayUrl, method, path, key, body);

const WW = [{ type: "area", value: "WW", requested: 3 }];
const ping: Json = { type: "ping", af: 4, target: "k.root-servers.net", description: "ping", packets: 5, size: 64, packet_interval: 1000 };
const VALID: Json[] = [
  ping,
  { type: "traceroute", af: 4, target: "193.0.14.129", description: "tr", protocol: "UDP", paris: 8, first_hop: 2, max_hops: 20 },
  { type: "dns", af: 6, description: "dns", query_class: "IN", query_type: "AAAA", query_argument: "ripe.net", use_probe_resolver: true, set_rd_bit: true },
  { type: "sslcert", af: 4, target: "www.ripe.net", description: "tls", port: 8443, hostname: "www.ripe.net" },
  { type: "ntp", af: 4, target: "pool.ntp.org", description: "ntp", packets: 2 },
  { type: "http", af: 6, target: "2001:db8::1", description: "http", method: "HEAD", path: "/index.html", header_bytes: 256, version: "1.1" },
];

beforeAll(async () => {
  db = await createTestDatabase("api_measurements");
  platform = await startPlatform({ databaseUrl: db.url, redisUrl: REDIS_URL, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN });
  for (const p of FLEET) {
    const res = await fetch(`${platform.ingestUrl}/probe/register`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify(p),
    });
    const { prb_id, secret } = (await res.json()) as { prb_id: number; secret: string };
    probes.push({ prbId: prb_id, secret, authorization: `Probe ${prb_id}:${secret}` });
  }
  alice = (await createApiKey(db.url, "alice", ["measurements:create", "results:read_private", "probes:manage"])).key;
  aliceReadOnly = (await createApiKey(db.url, "alice", [])).key;
  bob = (await createApiKey(db.url, "bob", ["measurements:create", "results:read_private"])).key;
});

afterAll(async () => {
  await platform?.close();
  await db?.drop();
});

async function create(body: Json, key = alice): Promise<number[]> {
  const res = await api("POST", "/api/v2/measurements/", key, body);
  if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  return res.body.measurements as number[];
}

describe("creating measurements", () => {
  it("creates one measurement of each type and sees each scheduled on its probes", async () => {
    const ids = await create({ definitions: VALID, probes: WW, tags: ["suite"] });
    expect(ids).toHaveLength(6);
    expect(ids[0]).toBeGreaterThanOrEqual(10_000_000);
    for (const [i, id] of ids.entries()) {
      await expect.poll(async () => (await api("GET", `/api/v2/measurements/${id}/`)).body.status?.id, { timeout: 8000 }).toBe(2);
      const { body } = await api("GET", `/api/v2/measurements/${id}/`);
      expect(body).toMatchObject({
        id, type: VALID[i]!.type, af: VALID[i]!.af, is_oneoff: false, is_public: true,
        probes_requested: 3, probes_scheduled: 3, participant_count: 3, tags: ["suite"],
        status: { id: 2, name: "Ongoing", when: expect.any(Number) },
        result: `${platform.gatewayUrl}/api/v2/measurements/${id}/results/`,
      });
      expect(body.interval).toBeGreaterThan(0);
    }
    const { body: ping } = await api("GET", `/api/v2/measurements/${ids[0]}/`);
    expect(ping).toMatchObject({ target: "k.root-servers.net", packets: 5, size: 64, packet_interval: 1000, description: "ping" });
    const { body: http } = await api("GET", `/api/v2/measurements/${ids[5]}/`);
    expect(http).toMatchObject({ target_ip: "2001:db8::1", method: "HEAD", header_bytes: 256 });
  });

  it("answers 403 with RIPE's code for an unknown key and refuses keys without the right", async () => {
    const unknown = await api("POST", "/api/v2/measurements/?key=nope", undefined, { definitions: [VALID[0]], probes: WW });
    expect(unknown.status).toBe(403);
    expect(unknown.body.error).toMatchObject({ status: 403, code: 104, detail: "The provided API key does not exist" });
    expect((await api("POST", "/api/v2/measurements/", undefined, { definitions: [VALID[0]], probes: WW })).status).toBe(401);
    const noRight = await api("POST", "/api/v2/measurements/", aliceReadOnly, { definitions: [VALID[0]], probes: WW });
    expect(noRight.status).toBe(403);
    expect(noRight.body.error.detail).toMatch(/measurements:create/);
  });

  const INVALID: [string, Json, string][] = [
    ["missing af", { ...ping, af: undefined }, "/definitions/0/af"],
    ["af 5", { ...ping, af: 5 }, "/definitions/0/af"],
    ["unknown type", { ...ping, type: "smoke" }, "/definitions/0/type"],
    ["unknown option", { ...ping, packts: 3 }, "/definitions/0/packts"],
    ["too many packets", { ...ping, packets: 17 }, "/definitions/0/packets"],
    ["size too large", { ...ping, size: 5000 }, "/definitions/0/size"],
    ["ping without target", { ...ping, target: undefined }, "/definitions/0/target"],
    ["interval too short", { ...ping, interval: 10 }, "/definitions/0/interval"],
    ["no description", { ...ping, description: undefined }, "/definitions/0/description"],
    ["IPv4 target with af 6", { ...ping, target: "192.0.2.1", af: 6 }, "/definitions/0/target"],
    ["one-off with interval", { ...ping, is_oneoff: true, interval: 300 }, "/definitions/0/interval"],
    ["traceroute protocol", { ...VALID[1], protocol: "SCTP" }, "/definitions/0/protocol"],
    ["traceroute without protocol", { ...VALID[1], protocol: undefined }, "/definitions/0/protocol"],
    ["traceroute paris", { ...VALID[1], paris: 65 }, "/definitions/0/paris"],
    ["traceroute max_hops", { ...VALID[1], max_hops: 0 }, "/definitions/0/max_hops"],
    ["dns query type", { ...VALID[2], query_type: "BOGUS" }, "/definitions/0/query_type"],
    ["dns query class", { ...VALID[2], query_class: "HS" }, "/definitions/0/query_class"],
    ["dns without argument", { ...VALID[2], query_argument: undefined }, "/definitions/0/query_argument"],
    ["dns without target or probe resolver", { ...VALID[2], use_probe_resolver: false }, "/definitions/0/target"],
    ["sslcert port", { ...VALID[3], port: 70000 }, "/definitions/0/port"],
    ["ntp packets", { ...VALID[4], packets: 0 }, "/definitions/0/packets"],
    ["http method", { ...VALID[5], method: "DELETE" }, "/definitions/0/method"],
    ["http version", { ...VALID[5], version: "2" }, "/definitions/0/version"],
    ["http path", { ...VALID[5], path: "no-slash" }, "/definitions/0/path"],
  ];

  it.each(INVALID)("rejects a definition with %s, naming the field", async (_name, definition, pointer) => {
    const res = await api("POST", "/api/v2/measurements/", alice, { definitions: [definition], probes: WW });
    expect(res.status).toBe(400);
    expect(res.body.error.errors.map((e: Json) => e.source.pointer)).toContain(pointer);
    expect(res.body.error.detail).toContain(pointer.split("/").pop());
  });

  const SELECTIONS: [string, Json, string][] = [
    ["unknown area", { type: "area", value: "Mars", requested: 1 }, "/probes/0/value"],
    ["bad country", { type: "country", value: "NLD", requested: 1 }, "/probes/0/value"],
    ["bad prefix", { type: "prefix", value: "10.0.0.0/33", requested: 1 }, "/probes/0/value"],
    ["unknown probes", { type: "probes", value: "7001,999999", requested: 2 }, "/probes/0/value"],
    ["more probes than listed", { type: "probes", value: "7001", requested: 2 }, "/probes/0/requested"],
    ["unknown measurement", { type: "msm", value: 42, requested: 1 }, "/probes/0/value"],
    ["no probes requested", { type: "asn", value: 3333, requested: 0 }, "/probes/0/requested"],
    ["unknown source type", { type: "planet", value: "x", requested: 1 }, "/probes/0/type"],
  ];

  it.each(SELECTIONS)("rejects an impossible selection: %s", async (_name, source, pointer) => {
    const res = await api("POST", "/api/v2/measurements/", alice, { definitions: [ping], probes: [source] });
    expect(res.status).toBe(400);
    expect(res.body.error.errors.map((e: Json) => e.source.pointer)).toContain(pointer);
  });

  it("rejects a stop time before the start, and accepts ISO 8601 times", async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = await api("POST", "/api/v2/measurements/", alice, { definitions: [ping], probes: WW, start_time: now + 600, stop_time: now + 300 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.errors[0].source.pointer).toBe("/stop_time");
    const [id] = await create({ definitions: [ping], probes: WW, start_time: new Date((now + 3600) * 1000).toISOString() });
    const { body } = await api("GET", `/api/v2/measurements/${id}/`);
    expect(body.start_time).toBe(now + 3600);
  });

  it("selects probes by country, ASN, prefix, area, list and another measurement", async () => {
    const cases: [Json, number[]][] = [
      [{ type: "country", value: "jp", requested: 5 }, [7004]],
      [{ type: "asn", value: 701, requested: 5 }, [7002]],
      [{ type: "prefix", value: "196.201.0.0/16", requested: 5 }, [7005]],
      [{ type: "area", value: "South-East", requested: 5 }, [7003]],
      [{ type: "area", value: "North-Central", requested: 5 }, [7001]],
      [{ type: "area", value: "West", requested: 5 }, [7002]],
      [{ type: "probes", value: "7001, 7003", requested: 2 }, [7001, 7003]],
    ];
    const ids: number[] = [];
    for (const [source] of cases) ids.push(...(await create({ definitions: [ping], probes: [source] })));
    const [fromMsm] = await create({ definitions: [ping], probes: [{ type: "msm", value: ids[6], requested: 5 }] });
    cases.push([{}, [7001, 7003]]);
    ids.push(fromMsm!);
    for (const [i, id] of ids.entries()) {
      await expect.poll(async () => (await api("GET", `/api/v2/measurements/${id}/`)).body.status?.id, { timeout: 8000 }).toBe(2);
      const { body } = await api("GET", `/api/v2/measurements/${id}/`);
      expect(body.probes_scheduled).toBe(cases[i]![1].length);
    }
  });

  it("marks a measurement whose selection matches no probe as 'No suitable probes'", async () => {
    const [id] = await create({ definitions: [ping], probes: [{ type: "country", value: "IS", requested: 2 }] });
    await expect.poll(async () => (await api("GET", `/api/v2/measurements/${id}/`)).body.status, { timeout: 8000 })
      .toMatchObject({ id: 6, name: "No suitable probes" });
  });
});

describe("stopping and participation", () => {
  it("stops a measurement on DELETE (owner only) and adds and removes probes", async () => {
    const [id] = await create({ definitions: [ping], probes: [{ type: "probes", value: "7001", requested: 1 }] });
    await expect.poll(async () => (await api("GET", `/api/v2/measurements/${id}/`)).body.status?.id, { timeout: 8000 }).toBe(2);
    const add = await api("POST", `/api/v2/measurements/${id}/participation-requests/`, alice, [
      { action: "add", type: "country", value: "AU", requested: 1 },
      { action: "add", type: "probes", value: "7002", requested: 1 },
    ]);
    expect(add.status).toBe(201);
    expect(add.body.request_ids).toHaveLength(2);
    expect((await api("GET", `/api/v2/measurements/${id}/`)).body.participant_count).toBe(3);
    const remove = await api("POST", `/api/v2/measurements/${id}/participation-requests/`, alice, [
      { action: "remove", type: "probes", value: "7001", requested: 1 },
    ]);
    expect(remove.status).toBe(201);
    expect((await api("GET", `/api/v2/measurements/${id}/`)).body).toMatchObject({ participant_count: 2, probes_scheduled: 2 });

    expect((await api("POST", `/api/v2/measurements/${id}/participation-requests/`, bob, [
      { action: "remove", type: "probes", value: "7002", requested: 1 },
    ])).status).toBe(403);
    expect((await api("DELETE", `/api/v2/measurements/${id}/`, bob)).status).toBe(403);
    expect((await api("DELETE", `/api/v2/measurements/${id}/`, alice)).status).toBe(204);
    const { body } = await api("GET", `/api/v2/measurements/${id}/`);
    expect(body).toMatchObject({ status: { id: 4, name: "Stopped" }, participant_count: 0 });
    expect(body.stop_time).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });
});

describe("listing measurements", () => {
  it("filters by type, status, target, tags, id range and mine, and paginates with next/previous", async () => {
    const ids = await create({
      definitions: Array.from({ length: 5 }, (_, i) => ({ ...VALID[4], target: `ntp${i}.example.net` })),
      probes: WW,
      tags: ["listing"],
    });
    const [bobs] = await create({ definitions: [{ ...VALID[4], target: "ntp0.example.net" }], probes: WW, tags: ["listing"] }, bob);

    const byTag = await api("GET", "/api/v2/measurements/?tags=listing&type=ntp&page_size=2&sort=id");
    expect(byTag.body.count).toBe(6);
    expect(byTag.body.results.map((m: Json) => m.id)).toEqual(ids.slice(0, 2));
    expect(byTag.body.previous).toBeNull();
    const second = await (await fetch(byTag.body.next as string)).json() as Json;
    expect(second.results.map((m: Json) => m.id)).toEqual(ids.slice(2, 4));
    expect(second.previous).toMatch(/page=1/);
    const third = await (await fetch(second.next as string)).json() as Json;
    expect(third.results.map((m: Json) => m.id)).toEqual([ids[4], bobs]);
    expect(third.next).toBeNull();

    const mine = await api("GET", "/api/v2/measurements/?tags=listing&mine=true", bob);
    expect(mine.body.results.map((m: Json) => m.id)).toEqual([bobs]);
    expect((await api("GET", "/api/v2/measurements/?mine=true")).status).toBe(401);
    const target = await api("GET", "/api/v2/measurements/?target=ntp0.example.net");
    expect(target.body.results.map((m: Json) => m.id).sort()).toEqual([ids[0], bobs].sort());
    const range = await api("GET", `/api/v2/measurements/?tags=listing&id__gt=${ids[1]}&id__lt=${ids[4]}`);
    expect(range.body.results.map((m: Json) => m.id)).toEqual([ids[3], ids[2]]);
    const some = await api("GET", `/api/v2/measurements/?id__in=${ids[0]},${ids[3]}&sort=id`);
    expect(some.body.results.map((m: Json) => m.id)).toEqual([ids[0], ids[3]]);
    const none = await api("GET", "/api/v2/measurements/?tags=listing&status=4");
    expect(none.body).toMatchObject({ count: 0, results: [], next: null });
    expect((await api("GET", "/api/v2/measurements/?page_size=501")).status).toBe(400);
    expect((await api("GET", "/api/v2/measurements/?status=ongoing")).body.error.detail).toMatch(/status/);
  });

  it("shows private measurements to their owner only", async () => {
    const [id] = await create({ definitions: [ping], probes: WW, is_public: false, tags: ["secret"] });
    expect((await api("GET", "/api/v2/measurements/?tags=secret")).body.count).toBe(0);
    expect((await api("GET", "/api/v2/measurements/?tags=secret", bob)).body.count).toBe(0);
    expect((await api("GET", "/api/v2/measurements/?tags=secret", alice)).body.count).toBe(1);
    expect((await api("GET", `/api/v2/measurements/${id}/`)).status).toBe(403);
    expect((await api("GET", `/api/v2/measurements/${id}/`, alice)).body.is_public).toBe(false);
  });
});

describe("private results", () => {
  it("refuses a private measurement's results without its owner's key and serves them with it", async () => {
    const [id] = await create({ definitions: [ping], probes: [{ type: "probes", value: "7001", requested: 1 }], is_public: false });
    const probe = probes[0]!;
    // A probe reports for a user's measurement once the controller has scheduled it there.
    await expect.poll(async () => (await api("GET", `/api/v2/measurements/${id}/`, alice)).body.participant_count).toBe(1);
    const t = Math.floor(Date.now() / 1000);
    const posted = await postResults(platform.ingestUrl, probe, [pingResult(probe.prbId, id!, t), pingResult(probe.prbId, id!, t + 1)]);
    expect(posted.status).toBe(200);
    for (const path of [`/api/v2/measurements/${id}/results/`, `/api/v2/measurements/${id}/latest/`]) {
      const anonymous = await api("GET", path);
      expect(anonymous.status).toBe(403);
      expect(anonymous.body.error).toMatchObject({ status: 403, title: "Forbidden" });
      expect((await api("GET", path, bob)).status).toBe(403);
      expect((await api("GET", path, aliceReadOnly)).status).toBe(403);
      expect((await api("GET", `${path}?key=nope`)).body.error.code).toBe(104);
    }
    const withKey = await api("GET", `/api/v2/measurements/${id}/results/?key=${alice}`);
    expect(withKey.status).toBe(200);
    expect((withKey.body as unknown as Json[]).map((r) => r.timestamp)).toEqual([t, t + 1]);
    const latest = await api("GET", `/api/v2/measurements/${id}/latest/`, alice);
    expect((latest.body as unknown as Json[]).map((r) => r.timestamp)).toEqual([t + 1]);
  });

  it("limits downloads to anchors or public probes (both spellings) and gzips when asked", async () => {
    const [id] = await create({ definitions: [ping], probes: [{ type: "probes", value: "7001,7002,7003", requested: 3 }] });
    await expect.poll(async () => (await api("GET", `/api/v2/measurements/${id}/`)).body.participant_count).toBe(3);
    const t = Math.floor(Date.now() / 1000);
    for (const probe of probes.slice(0, 3)) {
      expect((await postResults(platform.ingestUrl, probe, [pingResult(probe.prbId, id!, t)])).status).toBe(200);
    }
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query("UPDATE probes SET is_anchor = (id = 7002), is_public = (id <> 7003)");
    await client.end();
    const prbs = async (query: string) =>
      ((await api("GET", `/api/v2/measurements/${id}/results/?${query}`)).body as unknown as Json[]).map((r) => r.prb_id).sort();
    expect(await prbs("")).toEqual([7001, 7002, 7003]);
    expect(await prbs("anchors_only=true")).toEqual([7002]);
    expect(await prbs("anchors-only=true")).toEqual([7002]);
    expect(await prbs("public_only=true")).toEqual([7001, 7002]);
    expect(await prbs("public-only=true&probe_ids=7001")).toEqual([7001]);
    expect(await prbs("anchors-only=true&probe_ids=7001")).toEqual([]);

    const { request } = await import("node:http");
    const url = new URL(`${platform.gatewayUrl}/api/v2/measurements/${id}/results/?format=txt`);
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      request(url, { headers: { "accept-encoding": "gzip" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ encoding: res.headers["content-encoding"], body: Buffer.concat(chunks) }));
      }).on("error", reject).end();
    });
    expect(raw.encoding).toBe("gzip");
    const { gunzipSync } = await import("node:zlib");
    expect(gunzipSync(raw.body).toString().trim().split("\n")).toHaveLength(3);
  });
});

describe("probes", () => {
  it("lists probes with filters and pagination and shows one with its status", async () => {
    const all = await api("GET", "/api/v2/probes/?page_size=2");
    expect(all.body.count).toBe(5);
    expect(all.body.results.map((p: Json) => p.id)).toEqual([7001, 7002]);
    expect(all.body.next).toMatch(/page=2/);
    const ids = async (query: string) => ((await api("GET", `/api/v2/probes/?${query}`)).body.results as Json[]).map((p) => p.id);
    expect(await ids("country_code=nl")).toEqual([7001]);
    expect(await ids("asn_v4=701")).toEqual([7002]);
    expect(await ids("asn=1221")).toEqual([7003]);
    expect(await ids("prefix_v4=192.0.2.0/24")).toEqual([7004]);
    expect(await ids("id__gt=7002&id__lte=7004")).toEqual([7003, 7004]);
    expect(await ids("id__in=7005,7001")).toEqual([7001, 7005]);
    expect(await ids("status=0")).toEqual([7001, 7002, 7003, 7004, 7005]);
    expect(await ids("status=1")).toEqual([]);
    const { body } = await api("GET", "/api/v2/probes/7001/");
    expect(body).toMatchObject({
      id: 7001, country_code: "NL", asn_v4: 3333, address_v4: "193.0.0.10", prefix_v4: "193.0.0.0/21",
      geometry: { type: "Point", coordinates: [4.9, 52.37] }, status: { id: 0, name: "Never Connected", since: null },
      total_uptime: 0,
    });
    // What it reported makes it capable; "works" follows once its results (posted above) are seen.
    expect(body.tags).toEqual(expect.arrayContaining([
      { name: "System: IPv4 Capable", slug: "system-ipv4-capable" }, { name: "System: IPv6 Capable", slug: "system-ipv6-capable" },
    ]));
    expect((await api("GET", "/api/v2/probes/999/")).status).toBe(404);
  });

  it("registers probes for probe hosts whose key may manage probes", async () => {
    expect((await api("POST", "/api/v2/probes/", bob, { country_code: "DE" })).status).toBe(403);
    const res = await api("POST", "/api/v2/probes/", alice, { country_code: "de", latitude: 50.1, longitude: 8.7 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ prb_id: expect.any(Number), secret: expect.any(String) });
    const probe = { prbId: res.body.prb_id as number, secret: res.body.secret as string, authorization: `Probe ${res.body.prb_id}:${res.body.secret}` };
    expect((await postResults(platform.ingestUrl, probe, [pingResult(probe.prbId, 1234, 1_750_000_000)])).status).toBe(200);
    expect((await api("GET", `/api/v2/probes/${probe.prbId}/`)).body.country_code).toBe("DE");
  });
});

describe("keys and docs", () => {
  it("creates keys with a subset of the caller's rights, lists and revokes them", async () => {
    const created = await api("POST", "/api/v2/keys/", bob, { rights: ["results:read_private"], label: "reader" });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect((await api("GET", "/api/v2/measurements/?mine=true", key)).status).toBe(200);
    expect((await api("POST", "/api/v2/keys/", bob, { rights: ["probes:manage"] })).status).toBe(403);
    const list = await api("GET", "/api/v2/keys/", bob);
    expect(list.body).toMatchObject({ count: expect.any(Number), next: null, previous: null });
    expect((list.body.results as Json[]).map((k) => k.label)).toContain("reader");
    expect((list.body.results as Json[]).every((k) => k.key === undefined)).toBe(true);
    // Another key is revoked only with keys:manage; a key may always revoke itself.
    expect((await api("DELETE", `/api/v2/keys/${created.body.id}/`, bob)).status).toBe(403);
    expect((await api("DELETE", `/api/v2/keys/${created.body.id}/`, key)).status).toBe(204);
    expect((await api("GET", "/api/v2/measurements/", key)).body.error.code).toBe(104);
  });

  it("serves the OpenAPI document made from the validating schemas, and an HTML page of it", async () => {
    const doc = (await api("GET", "/api/v2/openapi.json")).body;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      "/api/v2/measurements/", "/api/v2/measurements/{id}/", "/api/v2/measurements/{id}/results/",
      "/api/v2/measurements/{id}/latest/", "/api/v2/measurements/{id}/participation-requests/",
      "/api/v2/probes/", "/api/v2/probes/{id}/", "/api/v2/keys/",
    ]));
    const create = doc.paths["/api/v2/measurements/"].post;
    const definition = create.requestBody.content["application/json"].schema.properties.definitions.items;
    expect(definition.discriminator).toEqual({ propertyName: "type" });
    expect(definition.oneOf.map((s: Json) => s.properties.type.const)).toEqual(["ping", "traceroute", "dns", "sslcert", "ntp", "http"]);
    const results = doc.paths["/api/v2/measurements/{id}/results/"].get.parameters.map((p: Json) => p.name);
    expect(results).toEqual(expect.arrayContaining(["id", "start", "stop", "probe_ids", "anchors-only", "public_only", "format"]));
    for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(operations)) {
        const success = Object.entries(op.responses as Record<string, Json>).find(([status]) => status.startsWith("2"))?.[1];
        const example = Object.values((success?.content ?? {}) as Record<string, Json>)[0]?.example;
        if (!(method === "delete" || (method === "post" && path.endsWith("/keys/:id/")))) expect(example, `${method} ${path}`).toBeDefined();
      }
    }
    // The reference page renders this document with scripts served here: nothing comes from elsewhere.
    const page = await fetch(`${platform.gatewayUrl}/api/v2/docs/`);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).not.toMatch(/(src|href)="https?:/);
    const csp = page.headers.get("content-security-policy");
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/https?:|script-src[^;]*unsafe-inline/);
    const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect((await fetch(new URL(script, `${platform.gatewayUrl}/api/v2/docs/`))).status, script).toBe(200);
    // The page's document is this one, with the same `servers`.
    const rendered = (await (await fetch(`${platform.gatewayUrl}/api/v2/docs/json`)).json()) as Json;
    expect(rendered.servers).toEqual([{ url: platform.gatewayUrl }]);
    expect(Object.keys(rendered.paths as Json)).toEqual(Object.keys(doc.paths));
  });
});
