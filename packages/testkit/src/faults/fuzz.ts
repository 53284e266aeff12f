import fc from "fast-check";
import type { Fixture } from "../fixtures.js";

/**
 * Generators of hostile input for property-based fuzzing, and a runner that feeds many cases to
 * an async check with bounded concurrency. Each run uses a fixed seed and a random one (printed),
 * so CI covers the same ground every time and something new on each run.
 */

/** The seeds of this run: the fixed one, and FUZZ_SEED or a random one. */
export function fuzzSeeds(fixed = 20_261_201): number[] {
  const random = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
  return [fixed, random];
}

/** Numbers at and beyond the edges that schemas and SQL types have. */
export const edgeNumber = fc.constantFrom(
  0, -1, 1, 0.5, -0.0, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e10, 1e20, 1e99, 1e308, -1e308,
  Number.MIN_VALUE, 4_102_444_800, 1_000_000_000_000,
);

/** Strings that have broken parsers: empty, huge, unicode, injections, numbers as text. */
export const edgeString = fc.oneof(
  fc.constantFrom(
    "", " ", "0", "-1", "1e99", "9007199254740993", "NaN", "Infinity", "null", "true", "[]", "{}", "'; DROP TABLE results; --",
    "\u0000", "\ud800", "💥", "%00", "../../etc/passwd", "a,b,,c", "1,2,x", "::1", "0.0.0.0/0", "256.1.1.1", "2001:db8::/200",
    "1.2.3.4/33", "<script>", "x".repeat(5000),
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
);

/** Any JSON-ish value, weighted towards the edges. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: edgeNumber },
  { weight: 3, arbitrary: edgeString },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(edgeNumber, { maxLength: 5 }) },
);

type Json = Record<string, unknown>;

/** `arb` one time in `every`, undefined otherwise. */
const rarely = <T>(arb: fc.Arbitrary<T>, every = 20): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: every - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/** Every path (as keys) into a JSON value, objects and arrays alike. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const key = Array.isArray(value) ? Number(k) : k;
      out.push([...prefix, key]);
      if (out.length < 400) paths(v, [...prefix, key], out);
    }
  }
  return out;
}

function setAt(root: Json, path: (string | number)[], value: unknown, remove: boolean): void {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (!node || typeof node !== "object") return;
    node = (node as Record<string | number, unknown>)[key];
  }
  if (!node || typeof node !== "object") return;
  const last = path[path.length - 1]!;
  if (remove) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete (node as Json)[last];
  } else (node as Record<string | number, unknown>)[last] = value;
}

/**
 * A real RIPE Atlas result of any type (the fixtures) with a few mutations: a field anywhere set
 * to a hostile value or removed, or a new field. Its probe is `prbId` (mostly), so that it gets
 * past the ownership check to the schema. Numbers beyond what the SQL columns hold are among the
 * hostile values: they must be refused at their field, not fail a batch.
 */
export function mutatedResult(fixtures: Fixture[], prbId: number): fc.Arbitrary<unknown> {
  const mutation = fc.record({ pick: fc.nat(), remove: fc.boolean(), value: hostileValue, extra: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }) });
  return fc
    .record({
      fixture: fc.constantFrom(...fixtures),
      mutations: fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 3 })),
      ownProbe: fc.double({ min: 0, max: 1, noNaN: true }),
      recent: fc.double({ min: 0, max: 1, noNaN: true }),
      whole: rarely(hostileValue),
    })
    .map(({ fixture, mutations, ownProbe, recent, whole }) => {
      if (whole !== undefined) return whole;
      const result = structuredClone(fixture.result);
      if (ownProbe < 0.9) result.prb_id = prbId;
      if (recent < 0.7) result.timestamp = Math.floor(Date.now() / 1000) - 3_600 - Math.floor(recent * 10_000);
      const all = paths(result);
      for (const m of mutations) {
        if (m.extra !== undefined) result[m.extra] = m.value;
        else if (all.length > 0) {
          const path = all[m.pick % all.length]!;
          setAt(result, path, m.value, m.remove);
        }
      }
      return result;
    });
}

/** A request body for POST /probe/results: JSON, NDJSON, truncated, binary, empty, with any content type. */
export function probeBody(fixtures: Fixture[], prbId: number): fc.Arbitrary<{ body: string | Uint8Array; contentType: string }> {
  const result = mutatedResult(fixtures, prbId);
  const text = fc.oneof(
    fc.array(result, { maxLength: 4 }).map((rs) => JSON.stringify(rs)),
    fc.array(result, { maxLength: 4 }).map((rs) => rs.map((r) => JSON.stringify(r)).join("\n")),
    result.map((r) => JSON.stringify(r)),
    fc.tuple(fc.array(result, { minLength: 1, maxLength: 3 }), fc.nat()).map(([rs, n]) => {
      const s = JSON.stringify(rs);
      return s.slice(0, n % s.length);
    }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ""),
    edgeString,
    fc.constantFrom("", "[", "]", "[[[[[[[[[[", `${"[".repeat(5000)}${"]".repeat(5000)}`, "\n\n\n", '{"type":"ping"}\n{', "[1,2,3]", "null"),
  );
  return fc.record({
    body: fc.oneof({ weight: 9, arbitrary: text }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) }),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom("application/json", "application/x-ndjson", "application/json; charset=utf-8") },
      { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/octet-stream", "multipart/form-data", "application/x-www-form-urlencoded") },
    ),
  });
}

export const SUBSCRIPTION_KEYS = [
  "stream_type", "streamType", "msm", "prb", "type", "sourceAddress", "sourcePrefix", "destinationAddress", "destinationPrefix",
  "passThroughHost", "passThroughPrefix", "equalsTo", "greaterThan", "lessThan", "enrichProbes", "buffering", "sendBacklog",
  "startTime", "endTime", "stopTime", "speed", "resumeFrom", "sendPositions",
  "max_packet_loss", "show_all", "permitted_total_alerts", "lookback", "median_rtt_threshold", "dns_rcodes", "http_alert_status", "cert_expiry_days",
];

/** Good values of each subscription parameter, so that hostile ones meet otherwise valid subscriptions. */
const goodSubscriptionValue: Record<string, fc.Arbitrary<unknown>> = {
  stream_type: fc.constantFrom("result", "probestatus", "metadata", "alert"),
  streamType: fc.constantFrom("result", "probestatus", "metadata", "alert"),
  msm: fc.integer({ min: 1, max: 100_000 }),
  prb: fc.integer({ min: 1, max: 100_000 }),
  type: fc.constantFrom("ping", "traceroute", "dns", "sslcert", "ntp", "http"),
  sourceAddress: fc.ipV4(),
  sourcePrefix: fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, n]) => `${a}/${n}`),
  destinationAddress: fc.ipV6(),
  destinationPrefix: fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, n]) => `${a}/${n}`),
  passThroughHost: fc.ipV4(),
  passThroughPrefix: fc.constant("193.0.0.0/16"),
  equalsTo: fc.dictionary(fc.constantFrom("af", "proto", "dst_addr", "result.0.rtt"), fc.oneof(fc.integer(), fc.string({ maxLength: 5 }))),
  greaterThan: fc.dictionary(fc.constantFrom("avg", "min", "size"), fc.integer()),
  lessThan: fc.dictionary(fc.constantFrom("avg", "max"), fc.double({ noNaN: true, noDefaultInfinity: true })),
  enrichProbes: fc.boolean(),
  buffering: fc.boolean(),
  sendBacklog: fc.boolean(),
  startTime: fc.integer({ min: Math.floor(Date.now() / 1000) - 7_200, max: Math.floor(Date.now() / 1000) }),
  endTime: fc.integer({ min: Math.floor(Date.now() / 1000) - 3_600, max: Math.floor(Date.now() / 1000) }),
  stopTime: fc.integer({ min: Math.floor(Date.now() / 1000) - 3_600, max: Math.floor(Date.now() / 1000) }),
  speed: fc.constantFrom(0, 1, 10, 100),
  resumeFrom: fc.constantFrom("0", "1", "123456"),
  sendPositions: fc.boolean(),
  max_packet_loss: fc.integer({ min: 0, max: 100 }),
  show_all: fc.boolean(),
  permitted_total_alerts: fc.integer({ min: 0, max: 5 }),
  lookback: fc.integer({ min: 1, max: 10 }),
  median_rtt_threshold: fc.double({ min: 0, max: 500, noNaN: true }),
  dns_rcodes: fc.constantFrom("NOERROR", "NOERROR,NXDOMAIN"),
  http_alert_status: fc.constantFrom(400, 500),
  cert_expiry_days: fc.integer({ min: 0, max: 60 }),
};

/**
 * `atlas_subscribe` payloads: mostly objects of known parameters, good or hostile, sometimes
 * anything at all, ids beyond int4 included.
 */
export function subscriptionPayload(): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 9,
      arbitrary: fc
        .array(
          fc.tuple(
            fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...SUBSCRIPTION_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }),
            fc.boolean(),
            hostileValue,
          ),
          { maxLength: 5 },
        )
        .chain((fields) =>
          fc.tuple(
            ...fields.map(([key, good, bad]) =>
              (good && Object.hasOwn(goodSubscriptionValue, key) ? goodSubscriptionValue[key]! : fc.constant(bad)).map((v) => [key, v] as const),
            ),
          ),
        )
        .map((entries) => {
          const params: Record<string, unknown> = { stream_type: "result" };
          for (const [k, v] of entries) params[k] = v;
          return params;
        }),
    },
    { weight: 1, arbitrary: hostileValue },
  );
}

/** A subscription as the HTTP stream takes it: the query string, value filters as JSON text. */
export function subscriptionQuery(payload: unknown): string {
  const q = new URLSearchParams();
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
    q.append("streamType", String(payload));
    return q.toString();
  }
  for (const [k, v] of Object.entries(payload)) q.append(k === "stream_type" ? "streamType" : k, typeof v === "object" ? JSON.stringify(v) : String(v));
  return q.toString();
}

export interface RestEndpoint {
  path: (id: string) => string;
  params: string[];
}

/** Every list, detail and results endpoint of the REST API with the parameters it documents. */
export const REST_ENDPOINTS: RestEndpoint[] = [
  {
    path: () => "/api/v2/measurements/",
    params: ["type", "status", "target", "target__contains", "tags", "id__in", "id__gt", "id__gte", "id__lt", "id__lte", "is_public", "is_oneoff", "mine", "sort", "page", "page_size", "format", "fields", "key"],
  },
  { path: (id) => `/api/v2/measurements/${id}/`, params: ["format", "fields", "key"] },
  {
    path: (id) => `/api/v2/measurements/${id}/results/`,
    params: ["start", "stop", "probe_ids", "format", "anchors_only", "anchors-only", "public_only", "public-only", "download", "key"],
  },
  { path: (id) => `/api/v2/measurements/${id}/latest/`, params: ["probe_ids", "versions", "lookback_days", "format", "anchors_only", "public_only", "key"] },
  {
    path: (id) => `/api/v2/measurements/${id}/status-check/`,
    params: ["max_packet_loss", "show_all", "permitted_total_alerts", "lookback", "median_rtt_threshold", "dns_rcodes", "http_alert_status", "cert_expiry_days", "format", "key"],
  },
  {
    path: () => "/api/v2/probes/",
    params: ["country_code", "asn", "asn_v4", "asn_v6", "prefix_v4", "prefix_v6", "status", "tags", "is_anchor", "is_public", "id__in", "id__gt", "id__gte", "id__lt", "id__lte", "page", "page_size", "sort", "fields"],
  },
  { path: (id) => `/api/v2/probes/${id}/`, params: ["fields", "format"] },
  { path: () => "/api/v2/keys/", params: ["page", "page_size", "key"] },
];

/**
 * A GET on a REST endpoint: a hostile or plausible path id, and a few of its parameters (or
 * strangers) with hostile values, numbers beyond any SQL column and ids too long for a request
 * line included.
 */
export function restRequest(): fc.Arbitrary<string> {
  return fc
    .record({
      endpoint: fc.constantFrom(...REST_ENDPOINTS),
      id: fc.oneof({ weight: 3, arbitrary: fc.constantFrom("1", "9091", "6001") }, { weight: 2, arbitrary: edgeNumber.map(String) }, { weight: 1, arbitrary: edgeString }),
      params: fc.array(fc.tuple(fc.nat(), fc.oneof(edgeString, edgeNumber.map(String), fc.constantFrom("1", "2,3", "true", "false", "yes", "-id", "ping"))), { maxLength: 4 }),
      stranger: rarely(fc.tuple(fc.string({ maxLength: 8 }), edgeString)),
    })
    .map(({ endpoint, id, params, stranger }) => {
      const q = new URLSearchParams();
      for (const [i, value] of params) {
        q.append(endpoint.params[i % endpoint.params.length]!, value);
      }
      if (stranger) q.append(...stranger);
      const query = q.toString();
      // A lone surrogate cannot be percent-encoded as UTF-8: sent as U+FFFD, as a browser would.
      const wellFormed = id.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
      return `${endpoint.path(encodeURIComponent(wellFormed))}${query ? `?${query}` : ""}`;
    });
}

/** A request path with its id as `{id}` and its parameter names only: what a failure has in common with others. */
export function requestShape(path: string): string {
  const [route = "", query = ""] = path.split("?");
  const names = [...new URLSearchParams(query).keys()].sort();
  return `${route.replace(/^(\/api\/v2\/[a-z]+\/)[^/]+\//, "$1{id}/")}${names.length ? ` ?${names.join("&")}` : ""}`;
}

/** Runs `check` over every case with at most `concurrency` at once; returns what failed (case and reason). */
export async function runCases<T>(cases: T[], concurrency: number, check: (c: T) => Promise<string | undefined>): Promise<{ input: T; reason: string }[]> {
  const failures: { input: T; reason: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) {
        const input = cases[next++]!;
        let reason: string | undefined;
        try {
          reason = await check(input);
        } catch (err) {
          reason = `threw ${err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ""}` : String(err)}`;
        }
        if (reason !== undefined) failures.push({ input, reason });
      }
    }),
  );
  return failures;
}

/** The distinct reasons of failures with a count and one example input each, for a readable report. */
export function summarize<T>(failures: { input: T; reason: string }[], show = 12): string {
  const groups = new Map<string, { n: number; example: T }>();
  for (const f of failures) {
    const g = groups.get(f.reason) ?? { n: 0, example: f.input };
    g.n++;
    groups.set(f.reason, g);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1].n - a[1].n)
    .slice(0, show)
    .map(([reason, g]) => `${g.n}× ${reason}\n    e.g. ${JSON.stringify(g.example, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v)).slice(0, 300)}`)
    .join("\n");
}
