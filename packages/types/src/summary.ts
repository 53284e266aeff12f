// One-line summaries of results for people (the portal's result table). No runtime imports: the
// portal's browser bundle imports this module (`@probestream/types/summary`).
import type { ResultType } from "./results/index.js";

/** A result as it arrives, not validated: RIPE Atlas JSON, whose shape varies by type and firmware. */
export type UntypedResult = Record<string, unknown>;

export interface ResultSummary {
  /** One line describing the result, e.g. "avg 12.3 ms · loss 0%". */
  text: string;
  /** The result's response time in ms, for the chart; null when it has none. */
  rttMs: number | null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Old firmware sends some numbers as strings. */
export function num(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "") {
    const parsed = Number(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  return null;
}

export function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

function errorOf(entry: Record<string, unknown>): string | null {
  for (const key of ["error", "err", "dnserr", "alert"]) {
    const value = entry[key];
    if (value !== undefined && value !== null) return typeof value === "string" ? value : JSON.stringify(value);
  }
  return null;
}

function summarizePing(r: UntypedResult): ResultSummary {
  const avg = num(r.avg);
  const sent = num(r.sent);
  const rcvd = num(r.rcvd);
  const rtt = avg !== null && avg >= 0 ? avg : null;
  const parts = [rtt !== null ? `avg ${ms(rtt)}` : "no reply"];
  if (sent !== null && rcvd !== null && sent > 0) parts.push(`loss ${Math.round(((sent - rcvd) / sent) * 100)}%`);
  return { text: parts.join(" · "), rttMs: rtt };
}

function summarizeTraceroute(r: UntypedResult): ResultSummary {
  const hops = records(r.result);
  const last = hops.at(-1);
  if (!last) return { text: errorOf(r) ?? "no hops", rttMs: null };
  const replies = records(last.result);
  const lastFrom = replies.map((reply) => reply.from).find((from): from is string => typeof from === "string");
  const rtts = replies.map((reply) => num(reply.rtt)).filter((v): v is number => v !== null);
  const rtt = rtts.length > 0 ? Math.min(...rtts) : null;
  const hopNo = num(last.hop);
  const lastHop = `last hop ${hopNo ?? "?"}: ${lastFrom ?? errorOf(last) ?? "*"}`;
  return { text: `${plural(hops.length, "hop")} · ${lastHop}${rtt !== null ? ` (${ms(rtt)})` : ""}`, rttMs: rtt };
}

function summarizeDnsAnswer(answer: Record<string, unknown>): { text: string; rtt: number | null } {
  const inner = isRecord(answer.result) ? answer.result : null;
  if (!inner) return { text: errorOf(answer) ?? "no answer", rtt: null };
  const rt = num(inner.rt);
  if (rt === null) {
    const failure = num(inner.timeout) !== null ? "timeout" : (errorOf(inner) ?? JSON.stringify(inner));
    return { text: failure, rtt: null };
  }
  return { text: `rt ${ms(rt)} · ${plural(num(inner.ANCOUNT) ?? 0, "answer")}`, rtt: rt };
}

function summarizeDns(r: UntypedResult): ResultSummary {
  if (Array.isArray(r.resultset)) {
    const answers = records(r.resultset).map(summarizeDnsAnswer);
    const first = answers[0];
    const rtt = mean(answers.map((a) => a.rtt).filter((v): v is number => v !== null));
    const head = answers.length === 1 && first ? first.text : plural(answers.length, "resolver");
    return { text: rtt !== null && answers.length > 1 ? `${head} · mean rt ${ms(rtt)}` : head, rttMs: rtt };
  }
  if (!isRecord(r.result)) return { text: errorOf(r) ?? "no answer", rttMs: null };
  const single = summarizeDnsAnswer(r);
  return { text: single.text, rttMs: single.rtt };
}

function summarizeSslcert(r: UntypedResult): ResultSummary {
  const rt = num(r.rt);
  const parts: string[] = [];
  if (rt !== null) parts.push(`rt ${ms(rt)}`);
  if (Array.isArray(r.cert)) parts.push(plural(r.cert.length, "cert"));
  // The probes spell the alert's field "decription".
  const alert = isRecord(r.alert) ? `TLS alert ${num(r.alert.decription) ?? num(r.alert.description) ?? "?"}` : null;
  const failure = alert ?? errorOf(r);
  if (failure) parts.push(failure);
  return { text: parts.length > 0 ? parts.join(" · ") : "no handshake", rttMs: rt };
}

function summarizeNtp(r: UntypedResult): ResultSummary {
  const packets = records(r.result);
  // NTP offsets and round-trip times are in seconds.
  const offset = mean(packets.map((p) => num(p.offset)).filter((v): v is number => v !== null));
  const rtt = mean(packets.map((p) => num(p.rtt)).filter((v): v is number => v !== null));
  if (offset === null) return { text: errorOf(packets[0] ?? r) ?? "no reply", rttMs: null };
  const rttMs = rtt !== null ? rtt * 1000 : null;
  return {
    text: `mean offset ${offset.toFixed(6)} s${rttMs !== null ? ` · rtt ${ms(rttMs)}` : ""}`,
    rttMs,
  };
}

/** Firmware 0 and 1 wrote one text line: "<method> <addr> <seconds> <status> <hsize> <bsize>". */
function summarizeHttpLine(line: string): ResultSummary {
  const match = /^\S+ \S+ ([\d.]+) (\d{3})\b/.exec(line);
  if (!match) return { text: line, rttMs: null };
  const rt = Number(match[1]) * 1000;
  return { text: `HTTP ${match[2]} · rt ${ms(rt)}`, rttMs: rt };
}

function summarizeHttp(r: UntypedResult): ResultSummary {
  if (typeof r.result === "string") return summarizeHttpLine(r.result);
  if (r.result === undefined && typeof r.src_addr === "string") return summarizeHttpLine(r.src_addr);
  const request = records(r.result)[0];
  if (!request) return { text: errorOf(r) ?? "no request", rttMs: null };
  const status = num(request.res);
  const rt = num(request.rt);
  if (status === null) return { text: errorOf(request) ?? "no response", rttMs: null };
  return { text: `HTTP ${status}${rt !== null ? ` · rt ${ms(rt)}` : ""}`, rttMs: rt };
}

type Summarizer = (r: UntypedResult) => ResultSummary;

// `satisfies`: a result type cannot be added without its summary.
const SUMMARIZERS: Partial<Record<string, Summarizer>> = {
  ping: summarizePing,
  traceroute: summarizeTraceroute,
  dns: summarizeDns,
  sslcert: summarizeSslcert,
  ntp: summarizeNtp,
  http: summarizeHttp,
} satisfies Record<ResultType, Summarizer>;

export function summarizeResult(result: UntypedResult): ResultSummary {
  const summarize = typeof result.type === "string" ? SUMMARIZERS[result.type] : undefined;
  return summarize ? summarize(result) : { text: errorOf(result) ?? "—", rttMs: null };
}
