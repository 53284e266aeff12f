import type { FastifyBaseLogger } from "fastify";
import { newestResultsPerProbe, positionParts, type Pool } from "@probestream/db";
import { StatusCheckState, StreamEvents, probeSource, type AlertChange, type AlertEvent, type StatusCheckOptions } from "@probestream/types";
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

/**
 * The alert subscribers of one measurement with the same status-check options share one state. It
 * starts from storage (each probe's newest results, as the status-check endpoint reads them);
 * results committed meanwhile wait in `queue` and are folded in after, counted once (the fold
 * ignores a stored result seen twice and is independent of order, so nothing is missed or doubled).
 */
interface AlertGroup {
  readonly msm: number;
  readonly state: StatusCheckState;
  /** Subscribers that have their snapshot and take changes. */
  readonly subs: Set<Subscription>;
  /** Subscribers waiting for the starting state. */
  readonly waiting: Set<Subscription>;
  queue: StreamEntry[] | null;
}

/** A stored result's id, from its stream position (tx, then the id). */
function seqOf(position: string): number {
  return Number(positionParts(position)[1]);
}

function eventOf(msm: number, change: AlertChange): AlertEvent {
  return { msm_id: msm, prb_id: change.prb_id, ...change.probe, global_alert: change.global_alert, alerting_probes: change.alerting };
}

/**
 * `alert` streams: a measurement's status check kept up to date on the live path, one committed
 * result at a time (not by querying storage again), and an `atlas_alert` to each subscriber when a
 * probe's alert state, or the global alert, changes. A new subscriber first gets one event per
 * probe alerting at that moment.
 */
export class AlertRouting {
  private readonly groups = new Map<number, Map<string, AlertGroup>>();

  constructor(private readonly opts: AlertRoutingOptions) {}

  /** Whether any alert stream is open (else the live path need not parse results for it). */
  get active(): boolean {
    return this.groups.size > 0;
  }

  /** Starts serving an alert subscription; resolves once its starting state is sent. */
  async add(sub: Subscription): Promise<void> {
    const msm = sub.params.msm!;
    const options = sub.params.statusCheck!;
    const key = JSON.stringify(options);
    let byOptions = this.groups.get(msm);
    if (!byOptions) this.groups.set(msm, (byOptions = new Map()));
    const existing = byOptions.get(key);
    if (existing && existing.queue === null) {
      this.sendSnapshot(existing, sub);
      existing.subs.add(sub);
      return;
    }
    if (existing) {
      existing.waiting.add(sub);
      return;
    }
    const group: AlertGroup = { msm, state: new StatusCheckState(options), subs: new Set(), waiting: new Set([sub]), queue: [] };
    byOptions.set(key, group);
    await this.seed(group, options).catch((err: unknown) => {
      this.opts.log.error({ err, msm }, "reading the starting state of an alert stream failed");
      for (const waiting of group.waiting) {
        waiting.session.error("reading the measurement's status failed; subscribe again to retry");
        this.opts.failed(waiting);
      }
      this.removeGroup(group, key);
    });
  }

  private async seed(group: AlertGroup, options: StatusCheckOptions): Promise<void> {
    const rows = await newestResultsPerProbe(this.opts.pool, group.msm, options.lookback);
    for (const row of rows) group.state.setSource(row.prb_id, probeSource(row.country_code));
    for (const row of rows) group.state.add(JSON.parse(row.body) as Record<string, unknown>, row.seq);
    for (const entry of group.queue ?? []) group.state.add(entry.result, seqOf(entry.id));
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
    const key = JSON.stringify(sub.params.statusCheck);
    const group = this.groups.get(sub.params.msm!)?.get(key);
    if (!group) return;
    group.subs.delete(sub);
    group.waiting.delete(sub);
    if (group.subs.size === 0 && group.waiting.size === 0) this.removeGroup(group, key);
  }

  private removeGroup(group: AlertGroup, key: string): void {
    const byOptions = this.groups.get(group.msm);
    if (byOptions?.get(key) !== group) return;
    byOptions.delete(key);
    if (byOptions.size === 0) this.groups.delete(group.msm);
  }

  /** A committed result, from the live path (bus or gap fill), in commit order. */
  onResult(entry: StreamEntry): void {
    const msm = Number(entry.result.msm_id);
    const byOptions = this.groups.get(msm);
    if (!byOptions) return;
    for (const group of byOptions.values()) {
      if (group.queue) {
        group.queue.push(entry);
        continue;
      }
      const change = group.state.add(entry.result, seqOf(entry.id));
      if (!change) continue;
      let frame: Frame | undefined;
      let sent = 0;
      for (const sub of group.subs) {
        if (sub.params.prb !== undefined && sub.params.prb !== change.prb_id) continue;
        if (!mayRead(sub.session.caller, entry.privateTo)) continue;
        sub.session.send((frame ??= Frame.of(StreamEvents.alert, eventOf(msm, change))));
        sent++;
      }
      if (sent === 0) continue;
      this.opts.metrics.alertsSent.inc(sent);
      if (entry.committedAt > 0) this.opts.metrics.alertCommitToSendSeconds.observe(Math.max(0, Date.now() - entry.committedAt) / 1000);
    }
  }
}
