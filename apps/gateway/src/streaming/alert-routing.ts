import type { FastifyBaseLogger } from "fastify";
import { newestResultsPerProbe, positionParts, probeCountries, type Pool } from "@probestream/db";
import {
  StatusCheckState, StreamEvents, alertChangeConcerns, probeSource,
  type AlertChange, type AlertEvent, type StatusCheckOptions,
} from "@probestream/types";
import { mayRead } from "../access/api-keys.js";
import type { GatewayMetrics } from "../metrics.js";
import { Frame } from "./frame.js";
import type { StreamEntry } from "./stream-entry.js";
import type { Subscription } from "./subscription.js";

export interface AlertRoutingOptions {
  pool: Pool;
  metrics: GatewayMetrics;
  log: FastifyBaseLogger;
  /** A subscription whose starting state could not be read: the hub ends it. */
  failed: (sub: Subscription) => void;
}

/** A status check polled through the REST endpoint stays hot this long after its last poll. */
const POLLED_TTL_MS = 10 * 60_000;
/**
 * At most this many status checks are kept hot for polling alone, each with a lookback of at most
 * MAX_POLLED_LOOKBACK (memory: probes × lookback observations each); other polls read storage each time.
 */
const MAX_POLLED = 32;
const MAX_POLLED_LOOKBACK = 10;

/**
 * The state of one measurement's status check with one set of options, shared by its alert
 * subscribers and its pollers. It starts from storage (each probe's newest results, as the
 * status-check endpoint reads them); results committed meanwhile wait in `queue` and are folded in
 * after, counted once (the fold ignores a stored result seen twice and is independent of order, so
 * nothing is missed or doubled).
 */
interface AlertGroup {
  readonly msm: number;
  readonly key: string;
  readonly state: StatusCheckState;
  /** Subscribers that have their snapshot and take changes. */
  readonly subs: Set<Subscription>;
  /** Subscribers waiting for the starting state. */
  readonly waiting: Set<Subscription>;
  queue: StreamEntry[] | null;
  ready: Promise<void>;
  /** When the endpoint last read it (0: never). */
  polledAt: number;
}

/** A stored result's id, from its stream position (tx, then the id). */
export function seqOf(position: string): number {
  return Number(positionParts(position)[1]);
}

/** The `atlas_alert` payload of a change (streams and webhooks send the same). */
export function eventOf(msm: number, change: Omit<AlertChange, "globalChanged">): AlertEvent {
  return { msm_id: msm, prb_id: change.prb_id, ...change.probe, global_alert: change.global_alert, alerting_probes: change.alerting };
}

/**
 * Status checks kept up to date on the live path, one committed result at a time (not by querying
 * storage again): `alert` streams get an `atlas_alert` when a probe's alert state, or the global
 * alert, changes (a new subscriber first gets one per probe alerting at that moment), and the REST
 * status check answers a poll of the same measurement and options from memory.
 */
export class AlertRouting {
  private readonly groups = new Map<number, Map<string, AlertGroup>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly opts: AlertRoutingOptions) {
    this.sweeper = setInterval(() => this.sweep(), POLLED_TTL_MS / 10);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  /** Whether any status check is kept (else the live path need not parse results for it). */
  get active(): boolean {
    return this.groups.size > 0;
  }

  /** Starts serving an alert subscription; resolves once its starting state is sent. */
  async add(sub: Subscription): Promise<void> {
    const group = this.groupOf(sub.params.msm!, sub.params.statusCheck!);
    if (group.queue === null) {
      this.sendSnapshot(group, sub);
      group.subs.add(sub);
      return;
    }
    group.waiting.add(sub);
    await group.ready.catch(() => undefined);
  }

  /**
   * The status check of a measurement as kept here, for the REST endpoint; undefined when no more
   * status checks may be kept (the endpoint then reads storage).
   */
  async state(msm: number, options: StatusCheckOptions): Promise<StatusCheckState | undefined> {
    const key = JSON.stringify(options);
    if (!this.groups.get(msm)?.has(key) && (options.lookback > MAX_POLLED_LOOKBACK || this.polledOnly() >= MAX_POLLED)) return undefined;
    const group = this.groupOf(msm, options);
    group.polledAt = Date.now();
    await group.ready;
    return group.state;
  }

  private polledOnly(): number {
    let n = 0;
    for (const byOptions of this.groups.values()) for (const g of byOptions.values()) if (g.subs.size === 0 && g.waiting.size === 0) n++;
    return n;
  }

  private groupOf(msm: number, options: StatusCheckOptions): AlertGroup {
    const key = JSON.stringify(options);
    let byOptions = this.groups.get(msm);
    if (!byOptions) this.groups.set(msm, (byOptions = new Map()));
    const existing = byOptions.get(key);
    if (existing) return existing;
    const group: AlertGroup = {
      msm, key, state: new StatusCheckState(options), subs: new Set(), waiting: new Set(), queue: [], ready: Promise.resolve(), polledAt: 0,
    };
    byOptions.set(key, group);
    group.ready = this.seed(group, options).catch((err: unknown) => {
      this.opts.log.error({ err, msm }, "reading the starting state of a status check failed");
      for (const waiting of group.waiting) {
        waiting.session.error("reading the measurement's status failed; subscribe again to retry");
        this.opts.failed(waiting);
      }
      this.removeGroup(group);
      throw err;
    });
    return group;
  }

  private async seed(group: AlertGroup, options: StatusCheckOptions): Promise<void> {
    const rows = await newestResultsPerProbe(this.opts.pool, group.msm, options.lookback);
    for (const row of rows) group.state.setSource(row.prb_id, probeSource(row.country_code));
    group.state.load(rows.map((row) => ({ seq: row.seq, result: JSON.parse(row.body) as Record<string, unknown> })));
    for (const entry of group.queue ?? []) this.fold(group, entry);
    group.queue = null;
    for (const sub of group.waiting) {
      this.sendSnapshot(group, sub);
      group.subs.add(sub);
    }
    group.waiting.clear();
  }

  private sendSnapshot(group: AlertGroup, sub: Subscription): void {
    const { state } = group;
    for (const [prb, probe] of Object.entries(state.answer().probes)) {
      if (!probe.alert || (sub.params.prb !== undefined && sub.params.prb !== Number(prb))) continue;
      const change = { prb_id: Number(prb), probe, global_alert: state.globalAlert, alerting: state.alerting };
      sub.session.send(Frame.of(StreamEvents.alert, eventOf(group.msm, change)));
    }
  }

  remove(sub: Subscription): void {
    if (sub.params.streamType !== "alert") return;
    const group = this.groups.get(sub.params.msm!)?.get(JSON.stringify(sub.params.statusCheck));
    if (!group) return;
    group.subs.delete(sub);
    group.waiting.delete(sub);
    if (this.unused(group, Date.now())) this.removeGroup(group);
  }

  private unused(group: AlertGroup, now: number): boolean {
    return group.subs.size === 0 && group.waiting.size === 0 && now - group.polledAt > POLLED_TTL_MS;
  }

  private sweep(): void {
    const now = Date.now();
    for (const byOptions of [...this.groups.values()]) for (const group of [...byOptions.values()]) if (this.unused(group, now)) this.removeGroup(group);
  }

  private removeGroup(group: AlertGroup): void {
    const byOptions = this.groups.get(group.msm);
    if (byOptions?.get(group.key) !== group) return;
    byOptions.delete(group.key);
    if (byOptions.size === 0) this.groups.delete(group.msm);
  }

  /** A committed result, from the live path (bus or gap fill), in commit order. */
  onResult(entry: StreamEntry): void {
    const byOptions = this.groups.get(entry.msmId);
    if (!byOptions) return;
    for (const group of byOptions.values()) {
      if (group.queue) group.queue.push(entry);
      else this.fold(group, entry);
    }
  }

  private fold(group: AlertGroup, entry: StreamEntry): void {
    const prbId = entry.prbId;
    if (Number.isInteger(prbId) && !group.state.hasSource(prbId)) this.lookUpSource(group, prbId);
    const change = group.state.add(entry.result, seqOf(entry.id));
    if (!change || group.queue) return;
    let frame: Frame | undefined;
    let sent = 0;
    for (const sub of group.subs) {
      if (!alertChangeConcerns(change, sub.params.prb)) continue;
      if (!mayRead(sub.session.caller, entry.privateTo)) continue;
      sub.session.send((frame ??= Frame.of(StreamEvents.alert, eventOf(group.msm, change))));
      sent++;
    }
    if (sent === 0) return;
    this.opts.metrics.alertsSent.inc(sent);
    if (entry.committedAt > 0) this.opts.metrics.alertCommitToSendSeconds.observe(Math.max(0, Date.now() - entry.committedAt) / 1000);
  }

  /** A probe first seen on the live path: where it is, as storage says (`Country: unknown` until then). */
  private lookUpSource(group: AlertGroup, prbId: number): void {
    group.state.setSource(prbId, probeSource(null));
    probeCountries(this.opts.pool, [prbId]).then(
      (countries) => group.state.setSource(prbId, probeSource(countries.get(prbId))),
      (err: unknown) => this.opts.log.warn({ err, prbId }, "reading a probe's country failed"),
    );
  }
}
