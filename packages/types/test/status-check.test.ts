import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  STATUS_CHECK_DEFAULTS, StatusCheckState, alertChangeConcerns, certNotAfter, dnsRcode, observe, statusCheck, statusCheckPrometheus,
  type StatusCheckOptions, type StoredResult,
} from "../src/status-check.js";

const T0 = 1_764_547_200;
const opts = (o: Partial<StatusCheckOptions> = {}): StatusCheckOptions => ({ ...STATUS_CHECK_DEFAULTS, ...o });

/** A ping result: `rtts` one per packet, null for a lost one. */
function ping(prb: number, timestamp: number, rtts: (number | null)[]): Record<string, unknown> {
  const got = rtts.filter((v): v is number => v !== null);
  const avg = got.length > 0 ? got.reduce((a, b) => a + b, 0) / got.length : -1;
  return {
    type: "ping", msm_id: 1001, prb_id: prb, timestamp, fw: 5080, dst_addr: "193.0.14.129", sent: rtts.length, rcvd: got.length,
    min: got.length ? Math.min(...got) : -1, max: got.length ? Math.max(...got) : -1, avg,
    result: rtts.map((rtt) => (rtt === null ? { x: "*" } : { rtt })),
  };
}

/** A DNS answer's header (12 bytes, no records) with `rcode`, base64. */
function abuf(rcode: number): string {
  return Buffer.from([0x12, 0x34, 0x81, 0x80 | rcode, 0, 0, 0, 0, 0, 0, 0, 0]).toString("base64");
}

function dns(prb: number, timestamp: number, answers: ({ rt: number; rcode: number } | "timeout")[]): Record<string, unknown> {
  return {
    type: "dns", msm_id: 1002, prb_id: prb, timestamp, fw: 5080,
    resultset: answers.map((a) => (a === "timeout" ? { error: { timeout: 5000 } } : { result: { rt: a.rt, ANCOUNT: 1, abuf: abuf(a.rcode) } })),
  };
}

function http(prb: number, timestamp: number, res: number | null, rt = 120): Record<string, unknown> {
  return {
    type: "http", msm_id: 1003, prb_id: prb, timestamp, fw: 5080, uri: "https://example.net/",
    result: [res === null ? { err: "timeout reading chunk", method: "GET" } : { res, rt, method: "GET", hsize: 100, bsize: 1000 }],
  };
}

// A self-signed certificate whose notAfter is 2028-01-05T12:24:01Z (made with openssl req -x509 -days 400).
const CERT = `-----BEGIN CERTIFICATE-----
MIIBgTCCASegAwIBAgIUM4+Yl8uHznw+JntnIhP+3afZGIgwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLZXhhbXBsZS5uZXQwHhcNMjYxMjAxMTIyNDAxWhcNMjgwMTA1
MTIyNDAxWjAWMRQwEgYDVQQDDAtleGFtcGxlLm5ldDBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABFRmzHQHLjXw1EFjiPEWL/k20LlN8kHOZFBKowypcgRRY2VlVgfk
qCOV7Va3ybkFZNcHg0b6Iu86Kjyjp5W5QA6jUzBRMB0GA1UdDgQWBBSWleBik3iJ
uIu/6DkvobRSP+g52TAfBgNVHSMEGDAWgBSWleBik3iJuIu/6DkvobRSP+g52TAP
BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIFBvzj+xgLdNKX/G8AGM
6/uhBnt0Ss+8vFhN2Sw9zvDgAiEAgLAu9ZTC2tVqemhEV8BRMhsbv1DbaieqoGxg
kjtJd8g=
-----END CERTIFICATE-----`;
const NOT_AFTER = Date.UTC(2028, 0, 5, 12, 24, 1) / 1000;

function sslcert(prb: number, timestamp: number, ok = true): Record<string, unknown> {
  const base = { type: "sslcert", msm_id: 1004, prb_id: prb, timestamp, fw: 5080, dst_port: "443", method: "TLS", ver: "1.3" };
  return ok ? { ...base, rt: 40.5, ttc: 12.1, cert: [CERT] } : { ...base, alert: { level: 2, decription: 40 } };
}

function traceroute(prb: number, timestamp: number, reached: boolean, rtt = 8.5): Record<string, unknown> {
  const last = reached ? { from: "193.0.14.129", rtt, ttl: 55 } : { x: "*" };
  return {
    type: "traceroute", msm_id: 1005, prb_id: prb, timestamp, fw: 5080, dst_addr: "193.0.14.129", proto: "ICMP",
    result: [{ hop: 1, result: [{ from: "10.0.0.1", rtt: 1.1 }] }, { hop: 2, result: [last, last, last] }],
  };
}

/** An NTP result: `rtts` in seconds, one per packet, null for one without answer. */
function ntp(prb: number, timestamp: number, rtts: (number | null)[]): Record<string, unknown> {
  return {
    type: "ntp", msm_id: 1006, prb_id: prb, timestamp, fw: 5080, dst_addr: "193.0.14.129", proto: "UDP",
    result: rtts.map((rtt) => (rtt === null ? { x: "*" } : { rtt, offset: 0.001, "origin-ts": 1, "receive-ts": 1, "transmit-ts": 1, "final-ts": 1 })),
  };
}

const run = (results: Record<string, unknown>[], o: Partial<StatusCheckOptions> = {}) =>
  statusCheck(results.map((result, i) => ({ seq: i + 1, result })), opts(o));

describe("status check, ping (RIPE's semantics)", () => {
  it("answers RIPE's shape with defaults: no alert under 75 % loss, `all` only for alerting probes", () => {
    const answer = run([ping(1, T0, [10, 11, 12]), ping(2, T0, [10, null, null, null])]);
    expect(answer).toEqual({
      global_alert: false,
      probes: {
        "1": { alert: false, last: 11, last_packet_loss: 0, source: "Country: unknown" },
        "2": { alert: false, last: 10, last_packet_loss: 75, source: "Country: unknown" },
      },
    });
  });

  it("max_packet_loss: alerts above it, never at 100, at any loss with 0", () => {
    const results = [ping(1, T0, [null, null, null]), ping(2, T0, [10, null, 12])];
    const byDefault = run(results);
    expect(byDefault.probes["1"]).toEqual({
      alert: true, last: null, last_packet_loss: 100, source: "Country: unknown", all: [null, null, null], alert_reasons: ["loss"],
    });
    expect(byDefault.probes["2"]!.alert).toBe(false);
    expect(run(results, { maxPacketLoss: 100 }).probes["1"]!.alert).toBe(false);
    expect(run(results, { maxPacketLoss: 0 }).probes["2"]).toMatchObject({ alert: true, alert_reasons: ["loss"], all: [10, null, 12] });
  });

  it("show_all shows every probe's RTTs", () => {
    expect(run([ping(1, T0, [10, 11])], { showAll: true }).probes["1"]).toMatchObject({ alert: false, all: [10, 11] });
  });

  it("permitted_total_alerts: the global alert is on only when more probes alert than permitted", () => {
    const results = [ping(1, T0, [null]), ping(2, T0, [null]), ping(3, T0, [5])];
    expect(run(results).global_alert).toBe(true);
    expect(run(results, { permittedTotalAlerts: 1 }).global_alert).toBe(true);
    expect(run(results, { permittedTotalAlerts: 2 }).global_alert).toBe(false);
    expect(run([ping(3, T0, [5])]).global_alert).toBe(false);
  });

  it("lookback and median_rtt_threshold: an RTT spike over the median of the newest results alerts", () => {
    const history = [10, 11, 10, 12, 11].map((rtt, i) => ping(1, T0 + i * 240, [rtt]));
    const spike = ping(1, T0 + 5 * 240, [40]);
    // Median of the newest 6 (10, 10, 11, 11, 12, 40) is 11: 40 - 11 = 29 ms.
    expect(run([...history, spike], { lookback: 6, medianRttThreshold: 20 }).probes["1"]).toMatchObject({
      alert: true, alert_reasons: ["latency"], last: 40, all: [10, 11, 10, 12, 11, 40],
    });
    expect(run([...history, spike], { lookback: 6, medianRttThreshold: 29 }).probes["1"]!.alert).toBe(false);
    // Without a threshold, latency never alerts; with lookback 1 the median is the latest RTT itself.
    expect(run([...history, spike], { lookback: 6 }).probes["1"]!.alert).toBe(false);
    expect(run([...history, spike], { medianRttThreshold: 1 }).probes["1"]!.alert).toBe(false);
    // Only the newest `lookback` results count: with 2, the median is (11 + 40) / 2.
    expect(run([...history, spike], { lookback: 2, medianRttThreshold: 14 }).probes["1"]).toMatchObject({ alert: true, all: [11, 40] });
    expect(run([...history, spike], { lookback: 2, medianRttThreshold: 14.5 }).probes["1"]!.alert).toBe(false);
  });

  it("a ping that sent nothing (its target's name did not resolve) is all lost, and alerts", () => {
    const failed = { ...ping(1, T0, []), sent: 0, rcvd: 0, result: [{ error: "dns resolution failed: non-recoverable failure in name resolution" }] };
    expect(run([failed]).probes["1"]).toMatchObject({ alert: true, alert_reasons: ["loss"], last: null, last_packet_loss: 100 });
    expect(run([failed], { maxPacketLoss: 100 }).probes["1"]!.alert).toBe(false);
  });

  it("the latest result is the newest by timestamp, whatever order results are folded in", () => {
    const answer = run([ping(1, T0 + 240, [null, null]), ping(1, T0, [5, 5])]);
    expect(answer.probes["1"]).toMatchObject({ alert: true, last_packet_loss: 100 });
  });
});

describe("status check, the other types (extensions)", () => {
  it("DNS: timeouts count as loss, a response code outside dns_rcodes alerts", () => {
    expect(dnsRcode(abuf(2))).toBe("SERVFAIL");
    const ok = run([dns(1, T0, [{ rt: 20, rcode: 0 }, { rt: 30, rcode: 0 }])]).probes["1"];
    expect(ok).toMatchObject({ alert: false, last: 25, last_packet_loss: 0 });
    expect(run([dns(1, T0, ["timeout", "timeout", { rt: 20, rcode: 0 }, "timeout"])]).probes["1"]).toMatchObject({
      alert: false, last_packet_loss: 75,
    });
    expect(run([dns(1, T0, ["timeout"])]).probes["1"]).toMatchObject({ alert: true, alert_reasons: ["loss"], last: null });
    const servfail = [dns(1, T0, [{ rt: 20, rcode: 2 }])];
    expect(run(servfail).probes["1"]).toMatchObject({ alert: true, alert_reasons: ["rcode"] });
    expect(run(servfail, { dnsRcodes: ["NOERROR", "SERVFAIL"] }).probes["1"]!.alert).toBe(false);
  });

  it("HTTP: a status at or above http_alert_status alerts, a request without response is lost", () => {
    expect(run([http(1, T0, 200)]).probes["1"]).toMatchObject({ alert: false, last: 120, last_packet_loss: 0 });
    expect(run([http(1, T0, 503)]).probes["1"]).toMatchObject({ alert: true, alert_reasons: ["http_status"] });
    expect(run([http(1, T0, 404)], { httpAlertStatus: 500 }).probes["1"]!.alert).toBe(false);
    expect(run([http(1, T0, null)]).probes["1"]).toMatchObject({ alert: true, alert_reasons: ["loss"], last_packet_loss: 100 });
  });

  it("sslcert: days to expiry under cert_expiry_days alerts; a failed handshake is lost", () => {
    expect(certNotAfter(CERT)).toBe(NOT_AFTER);
    const soon = NOT_AFTER - 5 * 86_400;
    expect(run([sslcert(1, soon)]).probes["1"]).toMatchObject({ alert: true, alert_reasons: ["cert_expiry"], last: 40.5 });
    expect(run([sslcert(1, soon)], { certExpiryDays: 5 }).probes["1"]!.alert).toBe(false);
    expect(run([sslcert(1, NOT_AFTER - 400 * 86_400)]).probes["1"]!.alert).toBe(false);
    expect(run([sslcert(1, T0, false)]).probes["1"]).toMatchObject({ alert: true, alert_reasons: ["loss"], last: null });
  });

  it("traceroute: a destination that did not answer alerts as unreachable", () => {
    expect(run([traceroute(1, T0, true)]).probes["1"]).toMatchObject({ alert: false, last: 8.5, last_packet_loss: 0 });
    expect(run([traceroute(1, T0, false)]).probes["1"]).toMatchObject({ alert: true, alert_reasons: ["loss", "unreachable"] });
    expect(run([traceroute(1, T0, false)], { maxPacketLoss: 100 }).probes["1"]).toMatchObject({ alert_reasons: ["unreachable"] });
  });

  it("the extensions' defaults at their edges: HTTP 400 alerts and 399 not; a certificate alerts under 14 days, not at 14", () => {
    expect(STATUS_CHECK_DEFAULTS).toMatchObject({ httpAlertStatus: 400, certExpiryDays: 14, dnsRcodes: ["NOERROR"] });
    expect(run([http(1, T0, 400)]).probes["1"]).toMatchObject({ alert: true, alert_reasons: ["http_status"] });
    expect(run([http(1, T0, 399)]).probes["1"]!.alert).toBe(false);
    expect(run([sslcert(1, NOT_AFTER - 14 * 86_400)]).probes["1"]!.alert).toBe(false);
    expect(run([sslcert(1, NOT_AFTER - 14 * 86_400 + 1)]).probes["1"]).toMatchObject({ alert: true, alert_reasons: ["cert_expiry"] });
  });

  it("median_rtt_threshold applies to every type's RTT: a spike over the median of the lookback alerts", () => {
    const spiking: [string, (t: number, rtt: number) => Record<string, unknown>][] = [
      ["dns", (t, rtt) => dns(1, t, [{ rt: rtt, rcode: 0 }])],
      ["http", (t, rtt) => http(1, t, 200, rtt)],
      ["traceroute", (t, rtt) => traceroute(1, t, true, rtt)],
      ["ntp", (t, rtt) => ntp(1, t, [rtt / 1000])],
    ];
    for (const [type, result] of spiking) {
      const history = [result(T0, 10), result(T0 + 60, 12), result(T0 + 120, 11)];
      const spike = result(T0 + 180, 80);
      const o = { lookback: 4, medianRttThreshold: 30 };
      expect(run(history, o).probes["1"]!.alert, type).toBe(false);
      expect(run([...history, spike], o).probes["1"], type).toMatchObject({ alert: true, alert_reasons: ["latency"] });
      expect(run([...history, spike], { ...o, medianRttThreshold: 100 }).probes["1"]!.alert, type).toBe(false);
    }
  });

  it("reads every sample result of the types package without throwing", () => {
    const dir = new URL("../fixtures/results/", import.meta.url).pathname;
    for (const type of readdirSync(dir)) {
      for (const file of readdirSync(join(dir, type)).filter((f) => f.endsWith(".json"))) {
        const result = JSON.parse(readFileSync(join(dir, type, file), "utf8")) as Record<string, unknown>;
        const o = observe(result, 1, opts());
        expect(o.loss === null || (o.loss >= 0 && o.loss <= 100), `${type}/${file}`).toBe(true);
      }
    }
  });
});

describe("alert changes and the Prometheus exposition", () => {
  it("reports a change when a probe starts or stops alerting, or the global alert flips", () => {
    const state = new StatusCheckState(opts({ permittedTotalAlerts: 1 }));
    expect(state.add(ping(1, T0, [10]), 1)).toBeNull();
    expect(state.add(ping(1, T0 + 1, [null]), 2)).toMatchObject({ prb_id: 1, probe: { alert: true }, global_alert: false, alerting: 1 });
    expect(state.add(ping(1, T0 + 2, [null]), 3)).toBeNull();
    expect(state.add(ping(2, T0 + 2, [null]), 4)).toMatchObject({ prb_id: 2, global_alert: true, alerting: 2 });
    const cleared = state.add(ping(1, T0 + 3, [9]), 5)!;
    expect(cleared).toMatchObject({ prb_id: 1, probe: { alert: false }, global_alert: false, alerting: 1, globalChanged: true });
    // A subscription to probe 2 hears probe 1's change too: it turned the global alert off.
    expect(alertChangeConcerns(cleared, 2)).toBe(true);
    const alone = state.add(ping(1, T0 + 4, [null]), 6)!;
    expect(alone).toMatchObject({ prb_id: 1, global_alert: true, globalChanged: true });
    const quiet = state.add(ping(3, T0 + 4, [null]), 7)!;
    expect(quiet).toMatchObject({ prb_id: 3, global_alert: true, alerting: 3, globalChanged: false });
    expect([alertChangeConcerns(quiet, 2), alertChangeConcerns(quiet, 3), alertChangeConcerns(quiet, undefined)]).toEqual([false, true, true]);
  });

  it("exposes per-probe gauges", () => {
    const text = statusCheckPrometheus(1001, run([ping(1, T0, [10, 12]), ping(2, T0, [null])]));
    expect(text).toContain('atlas_status_check_global_alert{msm="1001"} 1');
    expect(text).toContain('atlas_status_check_probe_alert{msm="1001",prb="2"} 1');
    expect(text).toContain('atlas_status_check_probe_last_rtt_ms{msm="1001",prb="1"} 11');
    expect(text).toContain('atlas_status_check_probe_last_rtt_ms{msm="1001",prb="2"} NaN');
    expect(text).toContain('atlas_status_check_probe_packet_loss_percent{msm="1001",prb="2"} 100');
  });
});

/** The newest `lookback` results of each probe, as the endpoint's SQL reads them (by timestamp, then id). */
function newestPerProbe(results: StoredResult[], lookback: number): StoredResult[] {
  const byProbe = new Map<number, StoredResult[]>();
  for (const r of results) byProbe.set(Number(r.result.prb_id), [...(byProbe.get(Number(r.result.prb_id)) ?? []), r]);
  return [...byProbe.values()].flatMap((rs) =>
    rs.sort((a, b) => Number(b.result.timestamp) - Number(a.result.timestamp) || b.seq - a.seq).slice(0, lookback),
  );
}

describe("incremental state = recomputation", () => {
  /** A result of `type` for probe `prb` at minute `t`, with what varies in it drawn by fast-check. */
  const resultOf = (type: string) =>
    fc.record({
      prb: fc.integer({ min: 1, max: 4 }),
      t: fc.integer({ min: 0, max: 20 }),
      rtts: fc.array(fc.option(fc.double({ min: 1, max: 300, noNaN: true }), { nil: null }), { minLength: 1, maxLength: 4 }),
      code: fc.constantFrom(0, 2, 3),
      status: fc.option(fc.constantFrom(200, 301, 404, 503), { nil: null }),
      daysLeft: fc.integer({ min: 0, max: 30 }),
      ok: fc.boolean(),
    }).map((g): Record<string, unknown> => {
      const at = T0 + g.t * 60;
      const first = g.rtts[0] ?? 50;
      switch (type) {
        case "dns": return dns(g.prb, at, g.rtts.map((rt) => (rt === null ? "timeout" : { rt, rcode: g.code })));
        case "http": return http(g.prb, at, g.status, first);
        // Days to expiry vary through the timestamp; minutes keep the order of a probe's results.
        case "sslcert": return sslcert(g.prb, NOT_AFTER - g.daysLeft * 86_400 + g.t * 60, g.ok);
        case "traceroute": return traceroute(g.prb, at, g.ok, first);
        case "ntp": return ntp(g.prb, at, g.rtts.map((rtt) => (rtt === null ? null : rtt / 1000)));
        default: return ping(g.prb, at, g.rtts);
      }
    });

  it("folding results one by one, in any order, ends where the status check from storage does, for every type", () => {
    const options = fc.record({
      maxPacketLoss: fc.integer({ min: 0, max: 100 }),
      permittedTotalAlerts: fc.integer({ min: 0, max: 3 }),
      lookback: fc.integer({ min: 1, max: 6 }),
      medianRttThreshold: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      showAll: fc.boolean(),
      dnsRcodes: fc.subarray(["NOERROR", "SERVFAIL", "NXDOMAIN"], { minLength: 1 }),
      httpAlertStatus: fc.constantFrom(400, 500),
      certExpiryDays: fc.integer({ min: 0, max: 30 }),
    });
    const typed = fc.constantFrom("ping", "dns", "http", "sslcert", "traceroute", "ntp").chain((type) =>
      fc.tuple(fc.constant(type), fc.array(resultOf(type), { maxLength: 40 })),
    );
    fc.assert(
      fc.property(typed, options, ([, generated], o) => {
        const o2 = opts(o.medianRttThreshold === undefined ? { ...o, medianRttThreshold: undefined } : o);
        // Commit order (seq) is the array order; timestamps are in any order.
        const stored = generated.map((result, i) => ({ seq: i + 1, result }));
        const live = new StatusCheckState(o2);
        let alertingSeen = 0;
        let globalSeen = false;
        for (const { seq, result: r } of stored) {
          const change = live.add(r, seq);
          if (change) {
            alertingSeen = change.alerting;
            globalSeen = change.global_alert;
          }
        }
        const recomputed = statusCheck(newestPerProbe(stored, o2.lookback), o2);
        expect(live.answer()).toEqual(recomputed);
        // The last change reported says what the global alert and the count of alerting probes are now.
        expect(globalSeen).toBe(recomputed.global_alert);
        expect(alertingSeen).toBe(Object.values(recomputed.probes).filter((p) => p.alert).length);
      }),
      { numRuns: 600 },
    );
  });
  it("answers JSON.stringify(answer()) byte for byte from each probe's kept JSON, asked for between results", () => {
    const json = (state: StatusCheckState) => Buffer.concat(state.answerJsonPieces()).toString("utf8");
    const result = fc.record({
      // Ids JSON.stringify orders differently (negative, past 2^32 - 2) too.
      prb: fc.constantFrom(1, 2, 10, 300, -4, 2 ** 32, 2 ** 32 - 2),
      t: fc.integer({ min: 0, max: 20 }),
      rtts: fc.array(fc.option(fc.double({ min: 1, max: 300, noNaN: true }), { nil: null }), { minLength: 1, maxLength: 4 }),
      source: fc.option(fc.constantFrom("Country: NL", "Country: DE"), { nil: undefined }),
    });
    const options = fc.record({ lookback: fc.integer({ min: 1, max: 4 }), showAll: fc.boolean(), permittedTotalAlerts: fc.integer({ min: 0, max: 2 }) });
    fc.assert(
      fc.property(fc.array(result, { maxLength: 30 }), options, (generated, o) => {
        const state = new StatusCheckState(opts(o));
        generated.forEach((g, i) => {
          state.add(ping(g.prb, T0 + g.t * 60, g.rtts), i + 1);
          if (g.source) state.setSource(g.prb, g.source);
          if (i % 3 === 0) expect(json(state)).toBe(JSON.stringify(state.answer()));
        });
        expect(json(state)).toBe(JSON.stringify(state.answer()));
      }),
      { numRuns: 300 },
    );
  });
});
