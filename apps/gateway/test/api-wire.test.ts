import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { request as httpRequest } from "node:http";
import { gunzipSync } from "node:zlib";
import { Validator } from "@seriousme/openapi-schema-validator";
import { createBus, type MessageBus } from "@probestream/bus";
import { createPool, ResultReader, type Pool } from "@probestream/db";
import { createGatewayApp } from "@probestream/gateway";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createApiKey, createTestDatabase, type TestDatabase } from "@probestream/testkit";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, read by path in assertions
type Json = Record<string, any>;

const ADMIN = "test-admin-token";
const NOW = Math.floor(Date.now() / 1000);
const HOUR = 3600;

let db: TestDatabase;
let platform: Platform;
let pool: Pool;
let bus: MessageBus;
const gateways: FastifyInstance[] = [];
let alice: string;
let bob: string;

/** Probes around the world; 8001 also on IPv6, 8004 an anchor. */
const FLEET = [
  { prb_id: 8001, country_code: "NL", asn_v4: 3333, address_v4: "193.0.0.10", prefix_v4: "193.0.0.0/21", latitude: 52.37, longitude: 4.9 },
  { prb_id: 8002, country_code: "US", asn_v4: 701, address_v4: "198.51.100.7", prefix_v4: "198.51.100.0/24", latitude: 40.7, longitude: -74 },
  { prb_id: 8003, country_code: "AU", asn_v4: 1221, address_v4: "203.0.113.9", prefix_v4: "203.0.113.0/24", latitude: -33.9, longitude: 151.2 },
  { prb_id: 8004, country_code: "NL", asn_v4: 1103, address_v4: "145.100.1.1", prefix_v4: "145.100.0.0/15", latitude: 52.09, longitude: 5.12, is_anchor: true },
];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  body: Json;
}

/** One HTTP request as a client library sends it (node:http: every header as given, nothing added). */
function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        const text = res.headers["content-encoding"] === "gzip" ? gunzipSync(raw).toString() : raw.toString();
        let parsed: Json = {};
        try {
          parsed = text ? (JSON.parse(text) as Json) : {};
        } catch {
          parsed = { text };
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, body: parsed });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const get = (path: string, key?: string, headers: Record<string, string> = {}) =>
  send(platform.gatewayUrl, "GET", path, { ...(key ? { authorization: `Key ${key}` } : {}), ...headers });

async function create(body: Json, key = alice): Promise<number> {
  const res = await send(platform.gatewayUrl, "POST", "/api/v2/measurements/", { authorization: `Key ${key}`, "content-type": "application/json" }, JSON.stringify(body));
  if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  return (res.body.measurements as number[])[0]!;
}

async function gateway(opts: Omit<Parameters<typeof createGatewayApp>[0], "pool" | "reader" | "bus">): Promise<string> {
  const app = await createGatewayApp({ pool, reader: new ResultReader(pool), bus, ...opts }, false);
  gateways.push(app);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("not listening");
  return `http://127.0.0.1:${address.port}`;
}

const ping = (extra: Json = {}) => ({ type: "ping", af: 4, target: "k.root-servers.net", description: "ping", ...extra });
const WW = [{ type: "area", value: "WW", requested: 1 }];
const ids = (answer: Answer) => (answer.body.results as Json[]).map((r) => r.id as number);

const m: Record<string, number> = {};

beforeAll(async () => {
  db = await createTestDatabase("api_wire");
  pool = createPool(db.url, 5);
  bus = createBus(undefined, "");
  platform = await startPlatform({ databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN });
  for (const p of FLEET) {
    const res = await fetch(`${platform.ingestUrl}/probe/register`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify(p),
    });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  }
  await pool.query(`UPDATE probes SET asn_v6 = 3333, prefix_v6 = '2001:67c:2e8::/48', address_v6 = '2001:67c:2e8::10' WHERE id = 8001`);
  await pool.query(`INSERT INTO probe_tags (prb_id, tag) VALUES (8001, 'lab-a'), (8001, 'lab-b'), (8002, 'lab-a') ON CONFLICT DO NOTHING`);
  alice = (await createApiKey(db.url, "alice", ["measurements:create", "results:read_private"])).key;
  bob = (await createApiKey(db.url, "bob", ["measurements:create"])).key;

  m.early = await create({ definitions: [ping({ description: "Needle in a haystack" })], probes: WW, start_time: NOW + 2 * HOUR, stop_time: NOW + 24 * HOUR });
  m.late = await create({ definitions: [ping({ description: "late one" })], probes: WW, start_time: NOW + 5 * HOUR, stop_time: NOW + 48 * HOUR });
  m.traceroute = await create({ definitions: [{ type: "traceroute", af: 4, target: "www.ripe.net", description: "tr", protocol: "ICMP" }], probes: WW, tags: ["alpha"] });
  m.v6 = await create({ definitions: [{ ...ping({ description: "six", target: "2001:db8::1" }), af: 6 }], probes: WW });
  m.private = await create({ definitions: [ping({ description: "secret", is_public: false })], probes: WW });
  m.bobs = await create({ definitions: [ping({ description: "bob's", target: "bob.example.net" })], probes: WW }, bob);
  m.stopped = await create({ definitions: [ping({ description: "to stop" })], probes: WW });
}, 120_000);

afterAll(async () => {
  for (const app of gateways) await app.close();
  await platform?.close();
  await bus?.close();
  await pool?.end();
  await db?.drop();
});

describe("every verb as RIPE clients send it", () => {
  it("stops a measurement on DELETE with Content-Type: application/json and an empty body (cousteau's AtlasStopRequest)", async () => {
    const res = await send(platform.gatewayUrl, "DELETE", `/api/v2/measurements/${m.stopped}?key=${alice}`, {
      "content-type": "application/json",
      accept: "application/json",
      "content-length": "0",
    });
    expect(res.status).toBe(204);
    expect((await get(`/api/v2/measurements/${m.stopped}/`)).body.status.id).toBe(4);
  });

  it("serves GET with Content-Type: application/json, with or without the trailing slash, the key in the query or the header", async () => {
    const json = { "content-type": "application/json", accept: "application/json" };
    for (const path of [`/api/v2/measurements/${m.private}/`, `/api/v2/measurements/${m.private}`]) {
      expect((await send(platform.gatewayUrl, "GET", `${path}?key=${alice}`, json)).status).toBe(200);
      expect((await send(platform.gatewayUrl, "GET", path, { ...json, authorization: `Key ${alice}` })).status).toBe(200);
      expect((await send(platform.gatewayUrl, "GET", path, json)).status).toBe(403);
    }
    expect((await send(platform.gatewayUrl, "GET", "/api/v2/probes?key=" + alice, json)).body.count).toBe(4);
  });

  it("answers 400 naming the body, not 500, to a POST with an empty JSON body", async () => {
    const res = await send(platform.gatewayUrl, "POST", "/api/v2/measurements/", { authorization: `Key ${alice}`, "content-type": "application/json", "content-length": "0" });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ status: 400, errors: [{ source: { pointer: "/" } }] });
  });
});

describe("behind a TLS proxy", () => {
  it("links with the configured public URL", async () => {
    const base = await gateway({ publicUrl: "https://atlas.example.net/" });
    const detail = await send(base, "GET", `/api/v2/measurements/${m.early}/`);
    expect(detail.body.result).toBe(`https://atlas.example.net/api/v2/measurements/${m.early}/results/`);
    const page = await send(base, "GET", "/api/v2/measurements/?page_size=2&page=2&type=ping");
    expect(page.body.next).toMatch(/^https:\/\/atlas\.example\.net\/api\/v2\/measurements\/\?page_size=2&page=3&type=ping$/);
    expect(page.body.previous).toMatch(/^https:\/\/atlas\.example\.net\/api\/v2\/measurements\/\?page_size=2&page=1/);
  });

  it("links with X-Forwarded-Proto and X-Forwarded-Host only when the proxy is trusted", async () => {
    const forwarded = { "x-forwarded-proto": "https", "x-forwarded-host": "atlas.example.org" };
    const trusted = await gateway({ trustProxy: true });
    expect((await send(trusted, "GET", `/api/v2/measurements/${m.early}/`, forwarded)).body.result)
      .toBe(`https://atlas.example.org/api/v2/measurements/${m.early}/results/`);
    expect((await send(trusted, "GET", "/api/v2/probes/?page_size=1", forwarded)).body.next).toMatch(/^https:\/\/atlas\.example\.org\/api\/v2\/probes\/\?/);
    const untrusted = await send(platform.gatewayUrl, "GET", `/api/v2/measurements/${m.early}/`, forwarded);
    expect(untrusted.body.result).toBe(`${platform.gatewayUrl}/api/v2/measurements/${m.early}/results/`);
  });
});

describe("downloads behave as files", () => {
  beforeAll(async () => {
    await pool.query("SELECT ensure_results_partitions(to_timestamp($1)::date, 2)", [NOW - 400 * 86_400]);
    await pool.query(
      `INSERT INTO results (msm_id, prb_id, ts, type, digest, body)
       VALUES ($1, 8001, to_timestamp($2), 'ping', decode(md5('old'), 'hex'),
               json_build_object('type', 'ping', 'msm_id', $1::int, 'prb_id', 8001, 'timestamp', $2::bigint, 'af', 4))`,
      [m.early, NOW - 400 * 86_400],
    );
  });

  it("answers results as a file named as RIPE Atlas names it when asked to download", async () => {
    const json = await get(`/api/v2/measurements/${m.early}/results/?format=json&download=true`);
    expect(json.status).toBe(200);
    expect(json.headers["content-disposition"]).toBe(`attachment; filename="RIPE-Atlas-measurement-${m.early}.json"`);
    expect(json.body).toHaveLength(1);
    const txt = await get(`/api/v2/measurements/${m.early}/results/?format=txt&download=true`);
    expect(txt.headers["content-disposition"]).toBe(`attachment; filename="RIPE-Atlas-measurement-${m.early}.txt"`);
    expect((await get(`/api/v2/measurements/${m.early}/latest/?download=true`)).headers["content-disposition"])
      .toBe(`attachment; filename="RIPE-Atlas-measurement-${m.early}-latest.json"`);
    expect((await get(`/api/v2/measurements/${m.early}/results/`)).headers["content-disposition"]).toBeUndefined();
  });

  it("reads latest with lookback_days=0 as no limit", async () => {
    const all = await get(`/api/v2/measurements/${m.early}/latest/?lookback_days=0`);
    expect(all.status).toBe(200);
    expect((all.body as unknown as Json[]).map((r) => r.prb_id)).toEqual([8001]);
    expect(await get(`/api/v2/measurements/${m.early}/latest/?lookback_days=7`)).toMatchObject({ status: 200, body: [] });
    expect((await get(`/api/v2/measurements/${m.early}/latest/?lookback_days=-1`)).body.error.errors[0].source.pointer)
      .toBe("/querystring/lookback_days");
  });

  it("gzips the OpenAPI document, the docs renderer, lists and results when accepted, and never labels a plain body gzip", async () => {
    const gzip = { "accept-encoding": "gzip" };
    for (const path of ["/api/v2/openapi.json", "/api/v2/docs/static/swagger-ui-bundle.js", "/api/v2/measurements/", `/api/v2/measurements/${m.early}/results/`]) {
      const res = await get(path, undefined, gzip);
      expect(res.status, path).toBe(200);
      expect(res.headers["content-encoding"], path).toBe("gzip");
      expect(gunzipSync(res.raw).length, path).toBeGreaterThan(0);
      expect((await get(path, undefined, { "accept-encoding": "identity" })).headers["content-encoding"], path).toBeUndefined();
    }
    for (const path of ["/api/v2/measurements/999999/results/", "/api/v2/measurements/?page_size=0", "/api/v2/nothing/"]) {
      const res = await get(path, undefined, gzip);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      const body = res.headers["content-encoding"] === "gzip" ? gunzipSync(res.raw) : res.raw;
      expect(JSON.parse(body.toString()).error.status, path).toBe(res.status);
    }
  });

  it("serves an OpenAPI document that validates as 3.1, with the servers as a list", async () => {
    const doc = (await get("/api/v2/openapi.json")).body;
    expect(doc.servers).toEqual([{ url: platform.gatewayUrl }]);
    const validator = new Validator();
    const outcome = await validator.validate(doc);
    expect(outcome.errors ?? []).toEqual([]);
    expect(outcome.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });
});

describe("lists as RIPE Atlas documents them", () => {
  it("ignores parameters it does not implement and names them in a Warning header, but refuses bad values", async () => {
    const res = await get("/api/v2/measurements/?format[datetime]=unix&bill_to=x&type=ping");
    expect(res.status).toBe(200);
    expect(res.headers.warning).toBe('299 - "ignored parameters: format[datetime], bill_to"');
    expect(res.headers["access-control-expose-headers"]).toMatch(/\bwarning\b/);
    expect((await get("/api/v2/probes/?country_code=NL")).headers.warning).toBeUndefined();
    expect((await get(`/api/v2/measurements/${m.early}/results/?nope=1`)).headers.warning).toBe('299 - "ignored parameters: nope"');
    const bad: [string, string][] = [
      ["/api/v2/measurements/?page_size=0", "/querystring/page_size"],
      ["/api/v2/measurements/?sort=colour", "/querystring/sort"],
      ["/api/v2/measurements/?fields=colour", "/querystring/fields"],
      ["/api/v2/measurements/?optional_fields=target", "/querystring/optional_fields"],
      ["/api/v2/measurements/?af=5", "/querystring/af"],
      ["/api/v2/measurements/?start_time__gt=yesterday", "/querystring/start_time__gt"],
      ["/api/v2/measurements/?format=xml", "/querystring/format"],
      ["/api/v2/probes/?prefix_v4=193.0.0.0/40", "/querystring/prefix_v4"],
      ["/api/v2/probes/?prefix_v6=193.0.0.0/8", "/querystring/prefix_v6"],
      ["/api/v2/probes/?prefix=somewhere", "/querystring/prefix"],
      ["/api/v2/probes/?radius=52.3,4.9", "/querystring/radius"],
      ["/api/v2/probes/?sort=secret", "/querystring/sort"],
      [`/api/v2/probes/8001/?fields=secret_hash`, "/querystring/fields"],
    ];
    for (const [path, pointer] of bad) {
      const answer = await get(path);
      expect(answer.status, path).toBe(400);
      expect(answer.body.error.errors[0].source.pointer, path).toBe(pointer);
    }
  });

  it("shapes every list and object with fields and optional_fields, and pages with page_size and format=json", async () => {
    const shaped = await get(`/api/v2/measurements/?id__in=${m.early},${m.late}&fields=description,status&format=json`);
    expect(shaped.body.results.map((r: Json) => Object.keys(r).sort())).toEqual([
      ["description", "id", "status", "type"], ["description", "id", "status", "type"],
    ]);
    const bare = await get(`/api/v2/measurements/${m.early}/?fields=`);
    expect(bare.body).toEqual({ id: m.early, type: "ping" });
    const withProbes = await get(`/api/v2/measurements/${m.early}/?optional_fields=probes`);
    expect(withProbes.body).toMatchObject({ id: m.early, description: "Needle in a haystack", probes: expect.any(Array) });
    expect((await get(`/api/v2/measurements/${m.early}/`)).body.probes).toBeUndefined();
    expect(Object.keys((await get(`/api/v2/measurements/?id__in=${m.early}&fields=probes,target`)).body.results[0]).sort())
      .toEqual(["id", "probes", "target", "type"]);

    const probes = await get("/api/v2/probes/?fields=asn_v4,country_code,status&page_size=2");
    expect(probes.body.count).toBe(4);
    expect(probes.body.results).toEqual([
      { id: 8001, type: "Probe", asn_v4: 3333, country_code: "NL", status: expect.objectContaining({ id: 0 }) },
      { id: 8002, type: "Probe", asn_v4: 701, country_code: "US", status: expect.objectContaining({ id: 0 }) },
    ]);
    expect(probes.body.next).toMatch(/page=2/);
    expect((await get("/api/v2/probes/8004/?fields=is_anchor")).body).toEqual({ id: 8004, type: "Probe", is_anchor: true });

    const keys = await get("/api/v2/keys/?fields=label&page_size=1", alice);
    expect(keys.body).toMatchObject({ count: 1, next: null, results: [{ id: expect.any(Number), label: expect.any(String) }] });
    expect(Object.keys(keys.body.results[0]).sort()).toEqual(["id", "label"]);
  });

  it("lists a measurement's participation requests, and shows them as its optional field", async () => {
    const json = { authorization: `Key ${alice}`, "content-type": "application/json" };
    const made = await send(platform.gatewayUrl, "POST", `/api/v2/measurements/${m.traceroute}/participation-requests/`, json, JSON.stringify([
      { action: "add", type: "probes", value: "8003", requested: 1, tags: { include: ["lab-a"], exclude: ["lab-c"] } },
      { action: "remove", type: "probes", value: "8003", requested: 1 },
    ]));
    expect(made.status).toBe(201);
    const [added, removed] = made.body.request_ids as number[];
    const list = await get(`/api/v2/measurements/${m.traceroute}/participation-requests/?page_size=1&sort=-id`);
    expect(list.body).toMatchObject({ count: 2, previous: null, results: [{ id: removed, action: "remove", type: "probes", value: "8003", requested: 1 }] });
    expect(list.body.next).toMatch(/page=2/);
    expect(list.body.results[0].self).toBe(`${platform.gatewayUrl}/api/v2/participation-requests/${removed}/`);
    expect((await get(`/api/v2/measurements/${m.traceroute}/participation-requests/?fields=action`)).body.results)
      .toEqual([{ id: added, action: "add" }, { id: removed, action: "remove" }]);
    expect((await get(`/api/v2/participation-requests/${added}/`)).body).toMatchObject({
      id: added, action: "add", tags_include: "lab-a", tags_exclude: "lab-c", created_at: expect.any(Number),
    });
    const withRequests = await get(`/api/v2/measurements/${m.traceroute}/?fields=participation_requests`);
    expect(withRequests.body.participation_requests.map((r: Json) => r.id)).toEqual([added, removed]);
    expect((await get(`/api/v2/measurements/${m.private}/participation-requests/`)).status).toBe(403);
    expect((await get(`/api/v2/participation-requests/999999/`)).status).toBe(404);
  });

  it("sorts by the fields RIPE Atlas sorts by, `-` for descending", async () => {
    const scope = `id__in=${m.early},${m.late},${m.traceroute}`;
    expect(ids(await get(`/api/v2/measurements/?${scope}&sort=start_time`))).toEqual([m.traceroute, m.early, m.late]);
    expect(ids(await get(`/api/v2/measurements/?${scope}&sort=-start_time`))).toEqual([m.late, m.early, m.traceroute]);
    expect(ids(await get(`/api/v2/measurements/?${scope}&sort=id`))).toEqual([m.early, m.late, m.traceroute]);
    expect(ids(await get(`/api/v2/measurements/?${scope}`))).toEqual([m.traceroute, m.late, m.early]);
    expect(ids(await get("/api/v2/probes/?sort=-asn_v4"))).toEqual([8001, 8003, 8004, 8002]);
    expect(ids(await get("/api/v2/probes/?sort=country_code,-id"))).toEqual([8003, 8004, 8001, 8002]);
  });

  it("filters measurements as ripe-atlas-tools' measurement-search asks", async () => {
    const search = async (query: string, key?: string) => (await get(`/api/v2/measurements/?${query}`, key)).body.results.map((r: Json) => r.id).sort();
    const sorted = (...list: number[]) => [...list].sort();
    expect(await search("search=NEEDLE")).toEqual([m.early]);
    expect(await search("search=bob.example")).toEqual([m.bobs]);
    expect(await search("search=2001:db8::1")).toEqual([m.v6]);
    expect(await search("status=4")).toEqual([m.stopped]);
    expect(await search("status__in=4,5,6,7")).toEqual(
      sorted(m.stopped!, ...(await search("status__in=6"))),
    );
    expect(await search("type=traceroute")).toEqual([m.traceroute]);
    expect(await search("af=6")).toEqual([m.v6]);
    expect(await search("target=www.ripe.net")).toEqual([m.traceroute]);
    expect(await search("description__contains=haystack")).toEqual([m.early]);
    expect(await search("tags=alpha")).toEqual([m.traceroute]);
    expect(await search(`id__in=${m.early},${m.bobs}`)).toEqual(sorted(m.early!, m.bobs!));
    expect(await search(`start_time__gt=${NOW + 3 * HOUR}`)).toEqual([m.late]);
    expect(await search(`start_time__gt=${NOW + HOUR}&start_time__lt=${NOW + 3 * HOUR}`)).toEqual([m.early]);
    expect(await search(`stop_time__lt=${NOW + 36 * HOUR}&stop_time__gt=${NOW + 12 * HOUR}`)).toEqual([m.early]);
    expect(await search(`stop_time__gt=${NOW + 36 * HOUR}`)).toEqual([m.late]);
    expect(await search("is_public=false")).toEqual([]);
    expect(await search("is_public=false", alice)).toEqual([m.private]);
    expect(await search("mine=true", bob)).toEqual([m.bobs]);
    expect((await get("/api/v2/measurements/?mine=true")).status).toBe(401);
  });

  it("filters probes as ripe-atlas-tools' probe-search asks", async () => {
    const search = async (query: string) => ids(await get(`/api/v2/probes/?${query}`));
    expect(await search("country_code=NL")).toEqual([8001, 8004]);
    expect(await search("asn=3333")).toEqual([8001]);
    expect(await search("asn_v4=701")).toEqual([8002]);
    expect(await search("asn_v6=3333")).toEqual([8001]);
    expect(await search("prefix_v4=193.0.0.0/21")).toEqual([8001]);
    expect(await search("prefix_v4=145.0.0.0/8")).toEqual([8004]);
    expect(await search("prefix_v6=2001:67c::/32")).toEqual([8001]);
    expect(await search("prefix=145.100.0.0/15")).toEqual([8004]);
    expect(await search("prefix=2001:67c:2e8::/48")).toEqual([8001]);
    expect(await search("radius=52.37,4.9:50")).toEqual([8001, 8004]);
    expect(await search("radius=52.37,4.9:10")).toEqual([8001]);
    expect(await search("radius=-33.9,151.2:100")).toEqual([8003]);
    expect(await search("status=0")).toEqual([8001, 8002, 8003, 8004]);
    expect(await search("status=1")).toEqual([]);
    expect(await search("is_anchor=true")).toEqual([8004]);
    expect(await search("tags=lab-a")).toEqual([8001, 8002]);
    expect(await search("tags=lab-a,lab-b")).toEqual([8001]);
    expect(await search("id__in=8003,8001")).toEqual([8001, 8003]);
    expect(await search("country_code=NL&is_anchor=false")).toEqual([8001]);
  });
});

describe("edges of the HTTP surface", () => {
  it("answers numbers beyond the columns, and NUL characters, with a 400 naming the parameter", async () => {
    const cases: [string, string][] = [
      ["/api/v2/measurements/2147483648/", "/params/id"],
      ["/api/v2/measurements/1e99/results/", "/params/id"],
      ["/api/v2/measurements/?page=1e99", "/querystring/page"],
      ["/api/v2/measurements/?id__gt=Infinity", "/querystring/id__gt"],
      ["/api/v2/measurements/?status=2147483647", "/querystring/status"],
      ["/api/v2/measurements/?id__in=1,99999999999", "/querystring/id__in"],
      [`/api/v2/measurements/${m.early}/latest/?lookback_days=2147483647`, "/querystring/lookback_days"],
      [`/api/v2/measurements/${m.early}/results/?start=1e99`, "/querystring/start"],
      [`/api/v2/measurements/${m.early}/results/?probe_ids=${"9".repeat(50)}`, "/querystring/probe_ids"],
      ["/api/v2/probes/?asn=4294967296", "/querystring/asn"],
      // Found by the REST fuzz test: PostgreSQL text cannot hold NUL.
      ["/api/v2/measurements/?id__lt=1&target__contains=%00", "/querystring/target__contains"],
    ];
    for (const [path, pointer] of cases) {
      const res = await get(path, undefined, { "accept-encoding": "gzip" });
      expect(res.status, path).toBe(400);
      expect(res.body.error.errors[0].source.pointer, path).toBe(pointer);
    }
  });

  it("refuses very long request targets with 414 and oversized headers with 431, in the error shape", async () => {
    const long = await get(`/api/v2/measurements/?search=${"x".repeat(20_000)}`);
    expect(long.status).toBe(414);
    expect(long.body.error.status).toBe(414);
    const longId = await get(`/api/v2/measurements/${"1".repeat(200)}/`);
    expect(longId.status).toBe(414);
    expect(longId.body.error.status).toBe(414);
    const huge = await get("/api/v2/measurements/", undefined, { "x-filler": "y".repeat(70_000) });
    expect(huge.status).toBe(431);
    expect(huge.body.error.status).toBe(431);
  });

  it("opens public reads to every origin and keyed requests only to the allowed ones", async () => {
    const url = await gateway({ corsOrigins: ["https://portal.example.net"] });
    const from = (origin: string, headers: Record<string, string> = {}) => send(url, "GET", "/api/v2/measurements/", { origin, ...headers });
    expect((await from("https://elsewhere.example")).headers["access-control-allow-origin"]).toBe("*");
    const keyed = { authorization: `Key ${alice}` };
    expect((await from("https://elsewhere.example", keyed)).headers["access-control-allow-origin"]).toBeUndefined();
    expect((await from("https://portal.example.net", keyed)).headers["access-control-allow-origin"]).toBe("https://portal.example.net");
    const preflight = (origin: string) => send(url, "OPTIONS", "/api/v2/measurements/", {
      origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type",
    });
    expect((await preflight("https://portal.example.net")).status).toBe(204);
    expect((await preflight("https://portal.example.net")).headers["access-control-allow-origin"]).toBe("https://portal.example.net");
    expect((await preflight("https://elsewhere.example")).headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("serves /metrics only as configured: behind a token, or not at all", async () => {
    const withToken = await gateway({ metrics: { token: "s3cret" } });
    expect((await send(withToken, "GET", "/metrics")).status).toBe(401);
    expect((await send(withToken, "GET", "/metrics", { authorization: "Bearer wrong!" })).status).toBe(401);
    const scraped = await send(withToken, "GET", "/metrics", { authorization: "Bearer s3cret" });
    expect(scraped.status).toBe(200);
    expect(scraped.raw.toString()).toContain("gateway_stream_sessions");
    expect((await send(await gateway({ metrics: "off" }), "GET", "/metrics")).status).toBe(404);
  });
});
