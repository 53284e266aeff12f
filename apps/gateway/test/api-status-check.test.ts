import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { Validator } from "@seriousme/openapi-schema-validator";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createApiKey, createTestDatabase, restCall, type TestDatabase } from "@probestream/testkit";

const T0 = Date.UTC(2026, 10, 30) / 1000;
const PUBLIC = 5001;
const PRIVATE = 5002;
const DNS = 5003;
const HTTP = 5004;
const SSLCERT = 5005;
const TRACEROUTE = 5006;
const FLEET = 5007;
// A RIPE Atlas sslcert sample whose certificate's notAfter is 1388642094 (2014-01-02): stored as
// measured ten days before it.
const CERT_SAMPLE = JSON.parse(
  readFileSync(new URL("../../../packages/types/fixtures/results/sslcert/sslcert-007.json", import.meta.url), "utf8"),
) as Record<string, unknown>;
const CERT_TS = 1388642094 - 10 * 86_400;

let db: TestDatabase;
let platform: Platform;
let alice: string;
let aliceNoRight: string;
let bob: string;

const api = (path: string, key?: string) => restCall(platform.gatewayUrl, "GET", path, key);

function ping(msm: number, prb: number, timestamp: number, rtts: (number | null)[]): Record<string, unknown> {
  const got = rtts.filter((v): v is number => v !== null);
  return {
    type: "ping", msm_id: msm, prb_id: prb, timestamp, fw: 5080, af: 4, dst_addr: "193.0.14.129", sent: rtts.length, rcvd: got.length,
    avg: got.length > 0 ? got.reduce((a, b) => a + b, 0) / got.length : -1, result: rtts.map((rtt) => (rtt === null ? { x: "*" } : { rtt })),
  };
}

async function store(client: pg.Client, results: Record<string, unknown>[]): Promise<void> {
  for (const r of results) {
    const body = JSON.stringify(r);
    await client.query(
      "INSERT INTO results (msm_id, prb_id, ts, type, digest, body) VALUES ($1, $2, to_timestamp($3), $4, $5, $6::json)",
      [r.msm_id, r.prb_id, r.timestamp, r.type, createHash("md5").update(body).digest(), body],
    );
  }
}

beforeAll(async () => {
  db = await createTestDatabase("api_status_check");
  platform = await startPlatform({ databaseUrl: db.url, gatewayPort: 0, ingestPort: 0 });
  const owner = await createApiKey(db.url, "alice", ["results:read_private"]);
  alice = owner.key;
  aliceNoRight = (await createApiKey(db.url, "alice", [])).key;
  bob = (await createApiKey(db.url, "bob", ["results:read_private"])).key;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query("SELECT ensure_results_partitions(to_timestamp($1)::date, 2)", [T0]);
    await client.query("SELECT ensure_results_partitions(to_timestamp($1)::date, 1)", [CERT_TS]);
    for (const [id, country] of [[1, "NL"], [2, "AU"], [3, "US"]] as const) {
      await client.query("INSERT INTO probes (id, secret_hash, country_code) VALUES ($1, 'x', $2)", [id, country]);
    }
    await client.query(
      `INSERT INTO measurements (id, type, description, status, is_public, owner_id) VALUES
         ($1, 'ping', 'public', 2, true, NULL), ($2, 'ping', 'private', 2, false, $5), ($3, 'dns', 'dns', 2, true, NULL), ($4, 'http', 'http', 2, true, NULL),
         ($6, 'sslcert', 'sslcert', 2, true, NULL), ($7, 'traceroute', 'traceroute', 2, true, NULL), ($8, 'ping', 'fleet', 2, true, NULL)`,
      [PUBLIC, PRIVATE, DNS, HTTP, owner.userId, SSLCERT, TRACEROUTE, FLEET],
    );
    // Probe 1 healthy; probe 2 lost everything in its latest result; probe 3's latest RTT spikes from ~10 to 45 ms.
    await store(client, [
      ...[0, 1, 2, 3, 4].map((i) => ping(PUBLIC, 1, T0 + i * 240, [10, 11, 12])),
      ping(PUBLIC, 2, T0, [20, 21, 22]),
      ping(PUBLIC, 2, T0 + 240, [null, null, null]),
      ...[10, 11, 9, 10].map((rtt, i) => ping(PUBLIC, 3, T0 + i * 240, [rtt])),
      ping(PUBLIC, 3, T0 + 4 * 240, [45]),
      ping(PRIVATE, 1, T0, [null]),
      {
        type: "dns", msm_id: DNS, prb_id: 1, timestamp: T0, fw: 5080,
        // A header whose response code is SERVFAIL (2).
        result: { rt: 30, ANCOUNT: 0, abuf: Buffer.from([0, 1, 0x81, 0x82, 0, 1, 0, 0, 0, 0, 0, 0]).toString("base64") },
      },
      { type: "http", msm_id: HTTP, prb_id: 1, timestamp: T0, fw: 5080, uri: "http://example.net/", result: [{ res: 503, rt: 80, method: "GET" }] },
      { ...CERT_SAMPLE, msm_id: SSLCERT, prb_id: 1, timestamp: CERT_TS },
      // Probe 1 reaches the destination; probe 2's last hop never answers from it.
      ...[[1, "193.0.14.129"], [2, "10.9.9.9"]].map(([prb, from]) => ({
        type: "traceroute", msm_id: TRACEROUTE, prb_id: prb, timestamp: T0, fw: 5080, dst_addr: "193.0.14.129", proto: "ICMP",
        result: [{ hop: 1, result: [{ from: "10.0.0.1", rtt: 1.1 }] }, { hop: 2, result: [{ from, rtt: 9.5 }, { x: "*" }] }],
      })),
    ]);
    // 1,024 probes (RIPE's bound for a status check), three results each; every tenth probe lost its latest.
    await client.query(
      `INSERT INTO results (msm_id, prb_id, ts, type, digest, body)
       SELECT $1::int, p, to_timestamp($2::bigint + n * 240), 'ping', decode(md5(p || ':' || n), 'hex'),
              json_build_object('type', 'ping', 'msm_id', $1::int, 'prb_id', p, 'timestamp', $2::bigint + n * 240, 'fw', 5080, 'af', 4,
                'dst_addr', '193.0.14.129', 'sent', 1, 'rcvd', lost::int # 1, 'avg', CASE WHEN lost THEN -1 ELSE 10 + n END,
                'result', json_build_array(CASE WHEN lost THEN json_build_object('x', '*') ELSE json_build_object('rtt', 10 + n) END))
       FROM generate_series(100001, 101024) AS p, generate_series(0, 2) AS n, LATERAL (SELECT n = 2 AND p % 10 = 0 AS lost) AS l`,
      [FLEET, T0],
    );
  } finally {
    await client.end();
  }
});

afterAll(async () => {
  await platform?.close();
  await db?.drop();
});

describe("GET /api/v2/measurements/<id>/status-check/", () => {
  it("answers RIPE's shape with the defaults, the global alert header, never cached", async () => {
    const res = await api(`/api/v2/measurements/${PUBLIC}/status-check/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ripe-atlas-global-alert")).toBe("1");
    // RIPE's answer says no-cache; no-store keeps any cache from storing it at all.
    expect(res.headers.get("cache-control")).toBe("no-cache, no-store");
    expect(res.body).toEqual({
      global_alert: true,
      probes: {
        "1": { alert: false, last: 11, last_packet_loss: 0, source: "Country: NL" },
        "2": { alert: true, last: null, last_packet_loss: 100, source: "Country: AU", all: [null, null, null], alert_reasons: ["loss"] },
        "3": { alert: false, last: 45, last_packet_loss: 0, source: "Country: US" },
      },
    });
    // A dashboard in a browser page of another origin may read the header.
    const cross = await fetch(`${platform.gatewayUrl}/api/v2/measurements/${PUBLIC}/status-check/`, { headers: { origin: "https://dashboard.example" } });
    expect(cross.headers.get("access-control-expose-headers")).toMatch(/\bx-ripe-atlas-global-alert\b/);
    // Without the trailing slash too, as RIPE's examples write it.
    expect((await api(`/api/v2/measurements/${PUBLIC}/status-check`)).status).toBe(200);
  });

  it("permitted_total_alerts: the global alert (and its header) is off while no more probes alert than permitted", async () => {
    const res = await api(`/api/v2/measurements/${PUBLIC}/status-check/?permitted_total_alerts=1`);
    expect(res.body.global_alert).toBe(false);
    expect(res.headers.get("x-ripe-atlas-global-alert")).toBe("0");
  });

  it("max_packet_loss=100 never alerts on loss; show_all shows every probe's RTTs", async () => {
    const res = await api(`/api/v2/measurements/${PUBLIC}/status-check/?max_packet_loss=100&show_all=true`);
    expect(res.body.global_alert).toBe(false);
    expect(res.body.probes["1"]).toEqual({ alert: false, last: 11, last_packet_loss: 0, source: "Country: NL", all: [10, 11, 12] });
    // The forms RIPE's API takes for a yes/no, as clients send them (Python's True, 1, yes).
    for (const [form, shown] of [["1", true], ["True", true], ["yes", true], ["0", false], ["False", false], ["off", false]] as const) {
      const probe = (await api(`/api/v2/measurements/${PUBLIC}/status-check/?show_all=${form}`)).body.probes["1"];
      expect("all" in probe, `show_all=${form}`).toBe(shown);
    }
    expect((await api(`/api/v2/measurements/${PUBLIC}/status-check/?show_all=maybe`)).status).toBe(400);
  });

  it("lookback and median_rtt_threshold: the RTT spike alerts", async () => {
    const res = await api(`/api/v2/measurements/${PUBLIC}/status-check/?lookback=5&median_rtt_threshold=20`);
    expect(res.body.probes["3"]).toEqual({
      alert: true, last: 45, last_packet_loss: 0, source: "Country: US", all: [10, 11, 9, 10, 45], alert_reasons: ["latency"],
    });
    // A lookback over 10 is read from storage at every poll (not kept live): the same answer.
    expect((await api(`/api/v2/measurements/${PUBLIC}/status-check/?lookback=50&median_rtt_threshold=20`)).body.probes["3"]).toMatchObject({
      alert: true, alert_reasons: ["latency"], all: [10, 11, 9, 10, 45],
    });
    // The median of the newest 5 is 10: 35 ms above it.
    expect((await api(`/api/v2/measurements/${PUBLIC}/status-check/?lookback=5&median_rtt_threshold=35`)).body.probes["3"].alert).toBe(false);
  });

  it("refuses bad parameters naming the field", async () => {
    for (const [query, field] of [["max_packet_loss=150", "max_packet_loss"], ["lookback=0", "lookback"], ["median_rtt_threshold=-1", "median_rtt_threshold"], ["format=xml", "format"]]) {
      const res = await api(`/api/v2/measurements/${PUBLIC}/status-check/?${query}`);
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.body.error), query).toContain(field);
    }
  });

  it("format=prometheus: per-probe gauges", async () => {
    const res = await fetch(`${platform.gatewayUrl}/api/v2/measurements/${PUBLIC}/status-check/?format=prometheus`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers.get("x-ripe-atlas-global-alert")).toBe("1");
    const text = await res.text();
    expect(text).toContain(`atlas_status_check_global_alert{msm="${PUBLIC}"} 1`);
    expect(text).toContain(`atlas_status_check_probe_alert{msm="${PUBLIC}",prb="2"} 1`);
    expect(text).toContain(`atlas_status_check_probe_last_rtt_ms{msm="${PUBLIC}",prb="3"} 45`);
    expect(text).toContain(`atlas_status_check_probe_packet_loss_percent{msm="${PUBLIC}",prb="2"} 100`);
  });

  it("a private measurement: only its owner's key with results:read_private", async () => {
    const path = `/api/v2/measurements/${PRIVATE}/status-check/`;
    expect((await api(path)).status).toBe(403);
    expect((await api(path, bob)).status).toBe(403);
    expect((await api(path, aliceNoRight)).status).toBe(403);
    const own = await api(path, alice);
    expect(own.status).toBe(200);
    expect(own.body.probes["1"]).toMatchObject({ alert: true, alert_reasons: ["loss"] });
    // The key as RIPE Atlas documents it for status checks: in the query.
    expect((await api(`${path}?key=${alice}`)).body).toEqual(own.body);
    expect((await api(`${path}?key=${bob}`)).status).toBe(403);
    expect((await api(`/api/v2/measurements/999999/status-check/`)).status).toBe(404);
  });

  it("DNS and HTTP: response codes and statuses that alert, with their parameters", async () => {
    expect((await api(`/api/v2/measurements/${DNS}/status-check/`)).body.probes["1"]).toMatchObject({ alert: true, alert_reasons: ["rcode"], last: 30 });
    expect((await api(`/api/v2/measurements/${DNS}/status-check/?dns_rcodes=NOERROR,SERVFAIL`)).body.global_alert).toBe(false);
    expect((await api(`/api/v2/measurements/${HTTP}/status-check/`)).body.probes["1"]).toMatchObject({ alert: true, alert_reasons: ["http_status"] });
    expect((await api(`/api/v2/measurements/${HTTP}/status-check/?http_alert_status=600`)).body.global_alert).toBe(false);
  });

  it("sslcert and traceroute: expiring certificates and unreachable destinations alert, with their parameters", async () => {
    const cert = await api(`/api/v2/measurements/${SSLCERT}/status-check/`);
    expect(cert.headers.get("x-ripe-atlas-global-alert")).toBe("1");
    expect(cert.body.probes["1"]).toMatchObject({ alert: true, alert_reasons: ["cert_expiry"], last: 71.573, last_packet_loss: 0 });
    expect((await api(`/api/v2/measurements/${SSLCERT}/status-check/?cert_expiry_days=10`)).body.global_alert).toBe(false);
    const trace = await api(`/api/v2/measurements/${TRACEROUTE}/status-check/?show_all=true`);
    expect(trace.body.probes["1"]).toMatchObject({ alert: false, last: 9.5, last_packet_loss: 50 });
    expect(trace.body.probes["2"]).toMatchObject({ alert: true, alert_reasons: ["loss", "unreachable"], last: null, last_packet_loss: 100 });
    const lenient = await api(`/api/v2/measurements/${TRACEROUTE}/status-check/?max_packet_loss=100`);
    expect(lenient.body.probes["2"]).toMatchObject({ alert: true, alert_reasons: ["unreachable"] });
  });

  it("answers for 1,024 probes", async () => {
    const answer = (await api(`/api/v2/measurements/${FLEET}/status-check/?lookback=3&permitted_total_alerts=102`)).body;
    const probes = Object.entries(answer.probes as Record<string, { alert: boolean; last: number | null }>);
    expect(probes).toHaveLength(1024);
    expect(probes.filter(([, p]) => p.alert).map(([id]) => Number(id))).toEqual(Array.from({ length: 102 }, (_, i) => 100010 + i * 10));
    expect(answer.global_alert).toBe(false);
    expect(answer.probes["100001"]).toMatchObject({ alert: false, last: 12, last_packet_loss: 0 });
  });

  it("is in the OpenAPI document, with its parameters and an example, and the document stays valid", async () => {
    const doc = (await api("/api/v2/openapi.json")).body;
    const op = doc.paths["/api/v2/measurements/{id}/status-check/"].get;
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining([
      "max_packet_loss", "show_all", "permitted_total_alerts", "lookback", "median_rtt_threshold", "format",
    ]));
    expect(op.responses["200"].content["application/json"].example.global_alert).toBe(true);
    const validator = new Validator();
    expect((await validator.validate(doc)).errors ?? []).toEqual([]);
  });
});
