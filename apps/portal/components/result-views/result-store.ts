// What the live page keeps of a measurement's results: per-probe aggregates and a bounded window of
// rows, so that a busy measurement (10,000s of results) holds the tab's memory to a bound.
import { summarizeResult } from "@probestream/types/summary";
import { mean, num, records, type UntypedResult } from "./fields";

/** The newest rows kept whole (for the per-type views and the results table). */
export const ROW_WINDOW = 200;
/** Points kept per probe for the charts. */
export const SERIES_POINTS = 240;
/** Probes tracked one by one; results of further probes are only counted. */
export const MAX_PROBES = 2_000;
/** Recent result identities remembered to drop a result seen twice (stored snapshot, then stream). */
const SEEN_WINDOW = 5_000;

export interface SeriesPoint {
  /** Unix seconds. */
  t: number;
  v: number;
}

export interface ProbeAggregate {
  prbId: number;
  count: number;
  last: UntypedResult;
  lastTimestamp: number;
  rttMin: number | null;
  rttMax: number | null;
  rttSum: number;
  rttCount: number;
  /** Ping packets, over all results. */
  sent: number;
  rcvd: number;
  /** Response time (ms) per result. */
  rtt: SeriesPoint[];
  /** NTP only: mean clock offset (s) per result. */
  offset: SeriesPoint[];
}

export interface ResultRow {
  /** Arrival order, for React keys and the order of the table. */
  seq: number;
  result: UntypedResult;
  prbId: number | null;
  timestamp: number | null;
  summary: string;
  rttMs: number | null;
}

/** What a render sees: copies of the lists, so React notices the change. */
export interface StoreView {
  total: number;
  /** Newest first. */
  rows: ResultRow[];
  /** By probe id. */
  probes: ProbeAggregate[];
}

function identity(r: UntypedResult): string {
  // Two different results may share probe, measurement and time (one per DNS resolver), hence the length.
  return `${String(r.prb_id)}|${String(r.msm_id)}|${String(r.timestamp)}|${JSON.stringify(r).length}`;
}

function pushBounded<T>(list: T[], item: T, bound: number): void {
  list.push(item);
  if (list.length > bound) list.splice(0, list.length - bound);
}

function pingFigures(r: UntypedResult): { min: number | null; max: number | null; sent: number; rcvd: number } {
  const min = num(r.min);
  const max = num(r.max);
  return {
    min: min !== null && min >= 0 ? min : null,
    max: max !== null && max >= 0 ? max : null,
    sent: num(r.sent) ?? 0,
    rcvd: num(r.rcvd) ?? 0,
  };
}

function ntpOffset(r: UntypedResult): number | null {
  return mean(records(r.result).map((p) => num(p.offset)).filter((v): v is number => v !== null));
}

export class ResultStore {
  private rows: ResultRow[] = [];
  private probes = new Map<number, ProbeAggregate>();
  private seen = new Set<string>();
  private seenOrder: string[] = [];
  private seq = 0;
  total = 0;

  clear(): void {
    this.rows = [];
    this.probes.clear();
    this.seen.clear();
    this.seenOrder = [];
    this.total = 0;
  }

  /** Adds results in arrival order; returns how many were new. */
  add(results: UntypedResult[]): number {
    let added = 0;
    for (const result of results) {
      const id = identity(result);
      if (this.seen.has(id)) continue;
      this.seen.add(id);
      this.seenOrder.push(id);
      if (this.seenOrder.length > SEEN_WINDOW) this.seen.delete(this.seenOrder.shift() ?? "");
      this.addOne(result);
      added += 1;
    }
    return added;
  }

  view(): StoreView {
    return {
      total: this.total,
      rows: this.rows.slice().reverse(),
      probes: [...this.probes.values()].sort((a, b) => a.prbId - b.prbId),
    };
  }

  private addOne(result: UntypedResult): void {
    this.total += 1;
    const summary = summarizeResult(result);
    const prbId = num(result.prb_id);
    const timestamp = num(result.timestamp);
    this.seq += 1;
    pushBounded(this.rows, { seq: this.seq, result, prbId, timestamp, summary: summary.text, rttMs: summary.rttMs }, ROW_WINDOW);
    if (prbId === null) return;
    let probe = this.probes.get(prbId);
    if (!probe) {
      if (this.probes.size >= MAX_PROBES) return;
      probe = { prbId, count: 0, last: result, lastTimestamp: 0, rttMin: null, rttMax: null, rttSum: 0, rttCount: 0, sent: 0, rcvd: 0, rtt: [], offset: [] };
      this.probes.set(prbId, probe);
    }
    probe.count += 1;
    const t = timestamp ?? 0;
    // A replay or a late result may be older than what the probe sent last.
    if (t >= probe.lastTimestamp) {
      probe.last = result;
      probe.lastTimestamp = t;
    }
    const rtt = summary.rttMs;
    let low = rtt;
    let high = rtt;
    if (result.type === "ping") {
      const ping = pingFigures(result);
      probe.sent += ping.sent;
      probe.rcvd += ping.rcvd;
      low = ping.min ?? rtt;
      high = ping.max ?? rtt;
    }
    if (rtt !== null) {
      probe.rttSum += rtt;
      probe.rttCount += 1;
      pushBounded(probe.rtt, { t, v: rtt }, SERIES_POINTS);
    }
    if (low !== null) probe.rttMin = probe.rttMin === null ? low : Math.min(probe.rttMin, low);
    if (high !== null) probe.rttMax = probe.rttMax === null ? high : Math.max(probe.rttMax, high);
    if (result.type === "ntp") {
      const offset = ntpOffset(result);
      if (offset !== null) pushBounded(probe.offset, { t, v: offset }, SERIES_POINTS);
    }
  }
}

/** The probe's mean response time (ms), or null when it never answered. */
export function meanRtt(probe: ProbeAggregate): number | null {
  return probe.rttCount === 0 ? null : probe.rttSum / probe.rttCount;
}

/** Ping packet loss as a share, or null without ping packets. */
export function lossShare(probe: Pick<ProbeAggregate, "sent" | "rcvd">): number | null {
  return probe.sent > 0 ? (probe.sent - probe.rcvd) / probe.sent : null;
}
