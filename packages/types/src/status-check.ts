// Status checks: a measurement's health from its probes' newest results, as RIPE Atlas computes it for
// ping, with extensions for the other result types. One computation with two drivers: the REST
// endpoint folds the newest `lookback` results of each probe read from storage, the alert stream
// folds results as they are committed; both end in the same state (a property test checks this).
// No runtime imports but the summary helpers (themselves import-free): the portal's browser bundle
// imports this module (`@probestream/types/status-check`).
//
// Ping semantics follow the RIPE Atlas REST API manual, "Status Checks" (a simple example, a complex
// example: atlas.ripe.net/docs/apis/rest-api-manual/measurements/status-checks/):
// - a probe alerts when its latest result's packet loss (percent) exceeds `max_packet_loss` (default
//   75; 100 never alerts on loss, 0 alerts on a single lost packet);
// - `median_rtt_threshold` (no default): it also alerts when its latest RTT exceeds the median RTT of
//   its newest `lookback` results (default 1) by more than the threshold (ms);
// - the global alert is on when more probes alert than `permitted_total_alerts` (default 0);
// - `all` (the RTTs behind the answer) is shown for alerting probes, or for every probe with `show_all`.
import { isRecord, mean, num, records, type UntypedResult } from "./summary.js";

export type { UntypedResult };

/** Why a probe alerts. `loss` and `latency` are RIPE's; the others are this server's extensions. */
export const ALERT_REASONS = ["loss", "latency", "rcode", "http_status", "cert_expiry", "unreachable"] as const;
export type AlertReason = (typeof ALERT_REASONS)[number];

export interface StatusCheckOptions {
  /** Percent; a probe alerts when its latest packet loss is above it. */
  maxPacketLoss: number;
  /** Show `all` for every probe, not only for alerting ones. */
  showAll: boolean;
  /** The global alert is on when more probes than this alert. */
  permittedTotalAlerts: number;
  /** How many of each probe's newest results the median RTT is taken over. */
  lookback: number;
  /** ms; when given, a probe alerts when its latest RTT exceeds the median by more than this. */
  medianRttThreshold?: number;
  /** DNS: response codes that do not alert (others, e.g. SERVFAIL, do). */
  dnsRcodes: readonly string[];
  /** HTTP: a response status at or above this alerts. */
  httpAlertStatus: number;
  /** sslcert: a certificate expiring in fewer days than this (from the result's time) alerts. */
  certExpiryDays: number;
}

export const STATUS_CHECK_DEFAULTS: StatusCheckOptions = {
  maxPacketLoss: 75,
  showAll: false,
  permittedTotalAlerts: 0,
  lookback: 1,
  dnsRcodes: ["NOERROR"],
  httpAlertStatus: 400,
  certExpiryDays: 14,
};

/** The largest `lookback` accepted. */
export const MAX_LOOKBACK = 100;

/** A probe in a status check, as RIPE Atlas answers it (`all` and `alert_reasons` when shown). */
export interface ProbeStatusCheck {
  alert: boolean;
  /** The latest result's RTT in ms (ping: its average), null when nothing came back. */
  last: number | null;
  /** The latest result's loss in percent (for DNS, HTTP, NTP: share of queries, requests, packets failed). */
  last_packet_loss: number | null;
  /** Where the probe is: `Country: NL`. */
  source: string;
  /** RTTs of each reply of the newest `lookback` results, oldest first; null for a lost packet. */
  all?: (number | null)[];
  alert_reasons?: AlertReason[];
}

export interface StatusCheckAnswer {
  global_alert: boolean;
  probes: Record<string, ProbeStatusCheck>;
}

/** What one result says about a probe's health; depends only on the result and the options. */
export interface Observation {
  /** The result's time (Unix seconds) and its storage id: the order "newest" is taken in. */
  timestamp: number;
  seq: number;
  rtt: number | null;
  loss: number | null;
  rtts: (number | null)[];
  /** Failures other than loss and latency (which depend on the options' thresholds and on other results). */
  failures: AlertReason[];
}

const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"];

function percent(failed: number, total: number): number | null {
  return total === 0 ? null : (failed / total) * 100;
}

function decodeBase64(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** The response code in a DNS answer's header (the low 4 bits of its 4th byte). */
export function dnsRcode(abuf: unknown): string | null {
  const bytes = typeof abuf === "string" ? decodeBase64(abuf) : null;
  if (!bytes || bytes.length < 12) return null;
  const code = bytes[3]! & 0x0f;
  return RCODES[code] ?? `RCODE${code}`;
}

/** One DER element at `pos`: its tag and where its content starts and ends. */
function derElement(bytes: Uint8Array, pos: number): { tag: number; start: number; end: number } | null {
  if (pos + 2 > bytes.length) return null;
  let length = bytes[pos + 1]!;
  let start = pos + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || start + n > bytes.length) return null;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[start + i]!;
    start += n;
  }
  const end = start + length;
  return end <= bytes.length ? { tag: bytes[pos]!, start, end } : null;
}

/** A certificate's notAfter (Unix seconds) from its PEM text: tbsCertificate's validity, read from the DER. */
export function certNotAfter(pem: string): number | null {
  const bytes = decodeBase64(pem.replace(/-----[^-]+-----/g, ""));
  if (!bytes) return null;
  const cert = derElement(bytes, 0);
  const tbs = cert && derElement(bytes, cert.start);
  if (!tbs) return null;
  let pos = tbs.start;
  const first = derElement(bytes, pos);
  if (first?.tag === 0xa0) pos = first.end; // explicit version
  for (let skip = 0; skip < 3; skip++) {
    // serial number, signature algorithm, issuer
    const el = derElement(bytes, pos);
    if (!el) return null;
    pos = el.end;
  }
  const validity = derElement(bytes, pos);
  const notBefore = validity && derElement(bytes, validity.start);
  const notAfter = notBefore && derElement(bytes, notBefore.end);
  if (!notAfter) return null;
  const text = String.fromCharCode(...bytes.subarray(notAfter.start, notAfter.end));
  const m = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return null;
  // UTCTime has two-digit years: 50..99 are 19xx (RFC 5280).
  const year = m[1]!.length === 4 ? Number(m[1]) : Number(m[1]) + (Number(m[1]) >= 50 ? 1900 : 2000);
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
}

function observePing(r: UntypedResult): Pick<Observation, "rtt" | "loss" | "rtts" | "failures"> {
  const sent = num(r.sent);
  const rcvd = num(r.rcvd);
  const avg = num(r.avg);
  const rtts = records(r.result).map((p) => num(p.rtt));
  return {
    rtt: avg !== null && avg >= 0 ? avg : null,
    // Nothing sent (the target's name did not resolve, no route): as unreachable as nothing answered.
    loss: sent === 0 ? 100 : sent !== null && rcvd !== null ? percent(sent - rcvd, sent) : percent(rtts.filter((v) => v === null).length, rtts.length),
    rtts,
    failures: [],
  };
}

function observeDns(r: UntypedResult, o: StatusCheckOptions): Pick<Observation, "rtt" | "loss" | "rtts" | "failures"> {
  const answers = Array.isArray(r.resultset) ? records(r.resultset) : [r];
  const rtts = answers.map((a) => (isRecord(a.result) ? num(a.result.rt) : null));
  const codes = answers.map((a) => (isRecord(a.result) ? dnsRcode(a.result.abuf) : null)).filter((c): c is string => c !== null);
  const answered = rtts.filter((v): v is number => v !== null);
  return {
    rtt: mean(answered),
    loss: percent(rtts.length - answered.length, rtts.length),
    rtts,
    failures: codes.some((c) => !o.dnsRcodes.includes(c)) ? ["rcode"] : [],
  };
}

/** Firmware 0 and 1 wrote one HTTP request as a text line: "<method> <addr> <seconds> <status> ...". */
function httpLine(line: string): Record<string, unknown> {
  const m = /^\S+ \S+ ([\d.]+) (\d{3})\b/.exec(line);
  return m ? { res: Number(m[2]), rt: Number(m[1]) * 1000 } : {};
}

function observeHttp(r: UntypedResult, o: StatusCheckOptions): Pick<Observation, "rtt" | "loss" | "rtts" | "failures"> {
  const requests = typeof r.result === "string" ? [httpLine(r.result)] : records(r.result);
  const statuses = requests.map((q) => num(q.res));
  const rtts = requests.map((q, i) => (statuses[i] !== null ? num(q.rt) : null));
  const answered = statuses.filter((s): s is number => s !== null);
  return {
    rtt: mean(rtts.filter((v): v is number => v !== null)),
    loss: requests.length === 0 ? 100 : percent(requests.length - answered.length, requests.length),
    rtts,
    failures: answered.some((s) => s >= o.httpAlertStatus) ? ["http_status"] : [],
  };
}

function observeSslcert(r: UntypedResult, o: StatusCheckOptions): Pick<Observation, "rtt" | "loss" | "rtts" | "failures"> {
  const chain = Array.isArray(r.cert) ? r.cert.filter((c): c is string => typeof c === "string") : [];
  const handshake = chain.length > 0 && r.alert === undefined && r.err === undefined && r.error === undefined;
  const rt = handshake ? num(r.rt) : null;
  const notAfter = handshake ? certNotAfter(chain[0]!) : null;
  const timestamp = num(r.timestamp) ?? 0;
  const expiring = notAfter !== null && (notAfter - timestamp) / 86_400 < o.certExpiryDays;
  return { rtt: rt, loss: handshake ? 0 : 100, rtts: [rt], failures: expiring ? ["cert_expiry"] : [] };
}

function observeTraceroute(r: UntypedResult): Pick<Observation, "rtt" | "loss" | "rtts" | "failures"> {
  const replies = records(records(r.result).at(-1)?.result);
  const destination = typeof r.dst_addr === "string" ? r.dst_addr : null;
  const rtts = replies.map((reply) => (destination !== null && reply.from === destination ? num(reply.rtt) : null));
  const reached = rtts.filter((v): v is number => v !== null);
  return {
    rtt: reached.length > 0 ? Math.min(...reached) : null,
    loss: replies.length === 0 ? 100 : percent(replies.length - reached.length, replies.length),
    rtts,
    failures: reached.length === 0 ? ["unreachable"] : [],
  };
}

function observeNtp(r: UntypedResult): Pick<Observation, "rtt" | "loss" | "rtts" | "failures"> {
  const packets = records(r.result);
  // NTP round-trip times are in seconds.
  const rtts = packets.map((p) => (num(p.offset) !== null && num(p.rtt) !== null ? num(p.rtt)! * 1000 : null));
  const answered = rtts.filter((v): v is number => v !== null);
  return { rtt: mean(answered), loss: percent(rtts.length - answered.length, rtts.length), rtts, failures: [] };
}

/** What a result says about its probe's health. `seq` is its storage id (ties of `timestamp` go by it). */
export function observe(result: UntypedResult, seq: number, o: StatusCheckOptions): Observation {
  const timestamp = num(result.timestamp) ?? 0;
  const seen = (() => {
    switch (result.type) {
      case "ping": return observePing(result);
      case "dns": return observeDns(result, o);
      case "http": return observeHttp(result, o);
      case "sslcert": return observeSslcert(result, o);
      case "traceroute": return observeTraceroute(result);
      case "ntp": return observeNtp(result);
      default: return { rtt: null, loss: null, rtts: [], failures: [] };
    }
  })();
  return { timestamp, seq, ...seen };
}

/** Whether `a` is older than `b`: by the result's time, then by storage id. */
function older(a: Observation, b: Observation): boolean {
  return a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.seq < b.seq);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const NO_REASONS: readonly AlertReason[] = Object.freeze([]);

/** Why a probe alerts, from its newest observations (oldest first, at most `lookback`); empty when it does not. */
function alertReasons(window: Observation[], o: StatusCheckOptions): readonly AlertReason[] {
  const latest = window[window.length - 1]!;
  let reasons: AlertReason[] | undefined;
  if (latest.loss !== null && latest.loss > o.maxPacketLoss) reasons = ["loss"];
  if (o.medianRttThreshold !== undefined && latest.rtt !== null) {
    const m = median(window.map((w) => w.rtt).filter((v): v is number => v !== null));
    if (m !== null && latest.rtt - m > o.medianRttThreshold) (reasons ??= []).push("latency");
  }
  for (const failure of latest.failures) if (!reasons?.includes(failure)) (reasons ??= []).push(failure);
  return reasons ?? NO_REASONS;
}

const isIndexKey = (id: number) => id >= 0 && id < 2 ** 32 - 1;

function sameReasons(a: readonly AlertReason[], b: readonly AlertReason[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}

/** A probe's state from its newest observations and why it alerts. */
function probeStatus(window: Observation[], reasons: readonly AlertReason[], o: StatusCheckOptions, source: string): ProbeStatusCheck {
  const latest = window[window.length - 1]!;
  const alert = reasons.length > 0;
  const status: ProbeStatusCheck = { alert, last: latest.rtt, last_packet_loss: latest.loss, source };
  if (alert || o.showAll) status.all = window.flatMap((w) => w.rtts);
  if (alert) status.alert_reasons = [...reasons];
  return status;
}

/** The text RIPE Atlas shows where a probe is. */
export function probeSource(countryCode: string | null | undefined): string {
  return `Country: ${countryCode ?? "unknown"}`;
}

/** A change of alert state, as the alert stream reports it. */
export interface AlertChange {
  prb_id: number;
  /** The probe's state now. */
  probe: ProbeStatusCheck;
  global_alert: boolean;
  /** How many probes alert now. */
  alerting: number;
  /** Whether the global alert changed with it. */
  globalChanged: boolean;
}

/**
 * Whether an alert subscription (stream or webhook) limited to probe `prb` hears a change: its
 * probe's, and any that turns the global alert on or off (the global alert is part of what it
 * watches, whichever probe tipped it).
 */
export function alertChangeConcerns(change: AlertChange, prb: number | undefined): boolean {
  return prb === undefined || prb === change.prb_id || change.globalChanged;
}

/** The fixed pieces of a status check answer's JSON. */
const utf8 = new TextEncoder();
const HEAD_ALERT = utf8.encode('{"global_alert":true,"probes":{');
const HEAD_NO_ALERT = utf8.encode('{"global_alert":false,"probes":{');
const COMMA = utf8.encode(",");
const TAIL = utf8.encode("}}");

/**
 * Per-probe state of a status check, folded one result at a time in any order: each probe keeps its
 * newest `lookback` observations. `add` tells when a probe's alert (or its reasons) or the global
 * alert changed. A probe's answer (and its JSON) is made when asked for, not at each result: the
 * live path folds thousands of results a second and is polled a few times a second at most.
 */
export class StatusCheckState {
  private readonly windows = new Map<number, Observation[]>();
  /** Why each probe alerts now (empty: it does not). */
  private readonly reasons = new Map<number, readonly AlertReason[]>();
  /** Each probe's answer and its piece of the answer's JSON, made on demand; dropped when the probe changes. */
  private readonly statuses = new Map<number, ProbeStatusCheck>();
  private readonly pieces = new Map<number, Uint8Array>();
  private readonly sources = new Map<number, string>();
  /** The probes in id order; null after a new probe came. */
  private sorted: number[] | null = [];
  private alertingCount = 0;

  constructor(readonly options: StatusCheckOptions) {}

  get globalAlert(): boolean {
    return this.alertingCount > this.options.permittedTotalAlerts;
  }

  get alerting(): number {
    return this.alertingCount;
  }

  hasSource(prbId: number): boolean {
    return this.sources.has(prbId);
  }

  setSource(prbId: number, source: string): void {
    this.sources.set(prbId, source);
    this.pieces.delete(prbId);
    const status = this.statuses.get(prbId);
    if (status) status.source = source;
  }

  /** Folds in one result (its storage id `seq`); returns the change when the alert state changed. */
  add(result: UntypedResult, seq: number): AlertChange | null {
    const prbId = this.insert(result, seq);
    return prbId === null ? null : this.refresh(prbId);
  }

  /** Folds in many results (a status check from storage): each probe's status is derived once, at the end. */
  load(results: Iterable<StoredResult>): void {
    const touched = new Set<number>();
    for (const { seq, result } of results) {
      const prbId = this.insert(result, seq);
      if (prbId !== null) touched.add(prbId);
    }
    for (const prbId of touched) this.refresh(prbId);
  }

  /** Puts a result into its probe's window; the probe when the window changed. */
  private insert(result: UntypedResult, seq: number): number | null {
    const prbId = Number(result.prb_id);
    if (!Number.isInteger(prbId)) return null;
    let window = this.windows.get(prbId);
    // The same stored result seen twice (read from storage and heard live) counts once.
    if (window?.some((w) => w.seq === seq)) return null;
    const observation = observe(result, seq, this.options);
    if (!window) {
      this.windows.set(prbId, (window = []));
      this.sorted = null;
    }
    // Keep the window sorted, oldest first; a result older than a full window changes nothing.
    let at = window.length;
    while (at > 0 && older(observation, window[at - 1]!)) at--;
    if (at === 0 && window.length >= this.options.lookback) return null;
    if (at === window.length) window.push(observation);
    else window.splice(at, 0, observation);
    if (window.length > this.options.lookback) window.shift();
    return prbId;
  }

  /** Derives why a probe alerts from its window; the change when its alert state or the global alert changed. */
  private refresh(prbId: number): AlertChange | null {
    const before = this.reasons.get(prbId);
    const globalBefore = this.globalAlert;
    const now = alertReasons(this.windows.get(prbId)!, this.options);
    this.reasons.set(prbId, now);
    this.statuses.delete(prbId);
    this.pieces.delete(prbId);
    this.alertingCount += (now.length > 0 ? 1 : 0) - (before !== undefined && before.length > 0 ? 1 : 0);
    if (before !== undefined && sameReasons(before, now) && globalBefore === this.globalAlert) return null;
    if (before === undefined && now.length === 0 && globalBefore === this.globalAlert) return null;
    return {
      prb_id: prbId, probe: this.status(prbId), global_alert: this.globalAlert, alerting: this.alertingCount,
      globalChanged: globalBefore !== this.globalAlert,
    };
  }

  /** A probe's answer now (made once per change of the probe). */
  private status(prbId: number): ProbeStatusCheck {
    let status = this.statuses.get(prbId);
    if (!status) {
      status = probeStatus(this.windows.get(prbId)!, this.reasons.get(prbId)!, this.options, this.sources.get(prbId) ?? probeSource(null));
      this.statuses.set(prbId, status);
    }
    return status;
  }

  /** The probes in the order JSON.stringify writes `answer().probes`: array-index keys (ids 0..2^32-2) first. */
  private probeIds(): number[] {
    this.sorted ??= [...this.reasons.keys()].sort((a, b) => Number(isIndexKey(b)) - Number(isIndexKey(a)) || a - b);
    return this.sorted;
  }

  /** The status check's answer now, probes in id order. */
  answer(): StatusCheckAnswer {
    const probes: Record<string, ProbeStatusCheck> = {};
    for (const prbId of this.probeIds()) probes[String(prbId)] = this.status(prbId);
    return { global_alert: this.globalAlert, probes };
  }

  /**
   * `JSON.stringify(this.answer())` in UTF-8, in pieces to concatenate: each probe's piece is made
   * when first asked for and kept until the probe changes. A polled status check of a thousand
   * probes otherwise builds and serialises every probe at each poll, into a string large enough to
   * be allocated outside V8's young generation.
   */
  answerJsonPieces(): Uint8Array[] {
    const pieces: Uint8Array[] = [this.globalAlert ? HEAD_ALERT : HEAD_NO_ALERT];
    for (const prbId of this.probeIds()) {
      let piece = this.pieces.get(prbId);
      if (!piece) this.pieces.set(prbId, (piece = utf8.encode(`"${prbId}":${JSON.stringify(this.status(prbId))}`)));
      if (pieces.length > 1) pieces.push(COMMA);
      pieces.push(piece);
    }
    pieces.push(TAIL);
    return pieces;
  }
}

/** A stored result, as the status check reads it: its storage id and its JSON. */
export interface StoredResult {
  seq: number;
  result: UntypedResult;
}

/** The status check from each probe's newest results (any order) and where the probes are. */
export function statusCheck(results: Iterable<StoredResult>, options: StatusCheckOptions, sources?: ReadonlyMap<number, string>): StatusCheckAnswer {
  const state = new StatusCheckState(options);
  for (const [prbId, source] of sources ?? []) state.setSource(prbId, source);
  state.load(results);
  return state.answer();
}

/** Prometheus text exposition of a status check: per-probe gauges labelled with the measurement and probe. */
export function statusCheckPrometheus(msmId: number, answer: StatusCheckAnswer): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, values: [string, number | null][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of values) lines.push(`${name}{${labels}} ${value === null ? "NaN" : value}`);
  };
  const probes = Object.entries(answer.probes).map(([prb, p]) => [`msm="${msmId}",prb="${prb}"`, p] as const);
  gauge("atlas_status_check_global_alert", "1 when more probes alert than permitted_total_alerts", [[`msm="${msmId}"`, answer.global_alert ? 1 : 0]]);
  gauge("atlas_status_check_probe_alert", "1 when the probe alerts", probes.map(([l, p]) => [l, p.alert ? 1 : 0]));
  gauge("atlas_status_check_probe_last_rtt_ms", "The probe's latest RTT in ms (NaN: no reply)", probes.map(([l, p]) => [l, p.last]));
  gauge("atlas_status_check_probe_packet_loss_percent", "The probe's latest packet loss in percent", probes.map(([l, p]) => [l, p.last_packet_loss]));
  return `${lines.join("\n")}\n`;
}
