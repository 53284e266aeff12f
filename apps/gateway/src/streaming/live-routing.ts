import type { FastifyBaseLogger } from "fastify";
import { StreamEvents } from "@probestream/types";
import type { StreamHistory } from "@probestream/db";
import { decodeResultBatch } from "@probestream/bus";
import { mayRead } from "../access/api-keys.js";
import type { GatewayMetrics } from "../metrics.js";
import type { AlertRouting } from "./alert-routing.js";
import { Frame } from "./frame.js";
import { ResultIndex } from "./result-index.js";
import type { StreamSession, StreamTransport } from "./session.js";
import { positionAfter, StreamEntry } from "./stream-entry.js";
import type { Subscription } from "./subscription.js";

export interface LiveRoutingOptions {
  history: StreamHistory;
  metrics: GatewayMetrics;
  log: FastifyBaseLogger;
  unpublishedGraceMs: number;
  /** Called for each session a result reached: the slow-client limits. */
  reached: (session: StreamSession) => void;
  /** Alert streams, which fold every committed result of their measurements. */
  alerts: AlertRouting;
}

/** Sessions of one broadcasting transport reached by a result: without and with positions. */
type BroadcastGroups = [plain: StreamSession[], withMeta: StreamSession[]];

/**
 * Routes committed results from the bus to the result subscriptions that match them (an index by
 * msm, prb and type), once per session and with one encoding per result. What the bus missed is
 * read from storage: after a bus outage, when a batch's predecessor was not heard, and when the
 * newest stored position stays unheard for a grace period (the watchdog).
 */
export class LiveRouting {
  private readonly index = new ResultIndex<Subscription>();
  private watchdog: NodeJS.Timeout | undefined;
  /** The newest stored position at the last watchdog check. */
  private storedAtLastCheck = "0";
  /** Newest position taken from the bus; after a bus outage, everything after it is read from storage. */
  private lastSeen = "0";
  private gapFilling: string[] | null = null;
  /** Whether a bus message arrived since the watchdog's last check. */
  private heardSinceCheck = false;

  constructor(private readonly opts: LiveRoutingOptions) {}

  async start(): Promise<void> {
    // Live begins now: what was stored before is history (replay, resume), not a gap to fill.
    const stored = await this.opts.history.newestPosition();
    if (positionAfter(stored, this.lastSeen)) this.lastSeen = stored;
    this.storedAtLastCheck = this.lastSeen;
    this.watchdog = setInterval(() => void this.checkUnpublished(), this.opts.unpublishedGraceMs);
    this.watchdog.unref();
  }

  stop(): void {
    if (this.watchdog) clearInterval(this.watchdog);
  }

  add(sub: Subscription): void {
    this.index.add(sub);
  }

  remove(sub: Subscription): void {
    this.index.remove(sub);
  }

  /** A batch of committed results from the bus. */
  onMessage(message: string): void {
    this.heardSinceCheck = true;
    if (this.gapFilling) {
      this.gapFilling.push(message);
      return;
    }
    const batch = decodeResultBatch(message);
    if (positionAfter(batch.after, this.lastSeen)) {
      // The relay published a batch this gateway did not hear (its bus connection dropped): the gap
      // is read from storage first. fillGap sets the hold queue before its first await.
      void this.fillGap();
      this.gapFilling!.push(message);
      return;
    }
    for (const r of batch.results) {
      if (!positionAfter(r.id, this.lastSeen)) continue;
      this.lastSeen = r.id;
      // Nobody subscribed to results or alerts: nothing to route.
      if (this.index.size === 0 && !this.opts.alerts.active) continue;
      this.route(new StreamEntry(r.id, r.json, r.privateTo, r.msmId, r.prbId, r.timestamp, r.type, batch.committedAt));
    }
  }

  private route(entry: StreamEntry): void {
    this.opts.alerts.onResult(entry);
    const frame = Frame.ofJson(StreamEvents.result, entry.json, { position: entry.id });
    const reached = new Set<StreamSession>();
    let broadcasts: Map<StreamTransport, BroadcastGroups> | undefined;
    this.index.forEachMatch(entry, (sub) => {
      if (!mayRead(sub.session.caller, entry.privateTo) || !sub.accepts(entry.timestamp, () => entry.result)) return;
      if (sub.mode === "history") return sub.hold(entry);
      if (!positionAfter(entry.id, sub.deliveredUpTo)) return;
      if (reached.has(sub.session)) return;
      reached.add(sub.session);
      const transport = sub.session.transport;
      if (sub.params.buffering || !transport.broadcast) return sub.send(frame, entry.id);
      sub.delivered++;
      broadcasts ??= new Map();
      let groups = broadcasts.get(transport);
      if (!groups) broadcasts.set(transport, (groups = [[], []]));
      groups[sub.positions ? 1 : 0].push(sub.session);
    });
    if (broadcasts) {
      for (const [transport, [plain, withMeta]] of broadcasts) {
        if (plain.length > 0) transport.broadcast!(plain, frame, false);
        if (withMeta.length > 0) transport.broadcast!(withMeta, frame, true);
      }
    }
    if (reached.size === 0) return;
    const m = this.opts.metrics;
    m.delivered.inc(reached.size);
    if (entry.committedAt > 0) m.commitToSendSeconds.observe(Math.max(0, Date.now() - entry.committedAt) / 1000);
    for (const session of reached) this.opts.reached(session);
  }

  /**
   * Every grace period: whatever was final in the log at the previous check must have been heard on
   * the bus by now (the relay publishes within milliseconds of a commit). If not, and nothing came
   * from the bus meanwhile, no relay is working (every ingest process is down, or the bus is), and
   * the gap is read from storage. While messages come, the relay works (a missed one is caught by
   * the next one's `after`): a gateway merely behind under load must not read from storage what
   * its bus connection already holds for it (measured: that made a lag of seconds worse).
   */
  private async checkUnpublished(): Promise<void> {
    try {
      const expected = this.storedAtLastCheck;
      const heard = this.heardSinceCheck;
      this.heardSinceCheck = false;
      this.storedAtLastCheck = await this.opts.history.newestPosition();
      if (positionAfter(expected, this.lastSeen) && !heard) {
        this.opts.log.warn({ heard: this.lastSeen, stored: expected }, "committed results were not published: reading them from storage");
        await this.fillGap();
      }
    } catch (err) {
      this.opts.log.error({ err }, "checking for unpublished results failed");
    }
  }

  /** After a bus outage: route what was committed meanwhile from storage, then the bus again. */
  async fillGap(): Promise<void> {
    if (this.gapFilling) return;
    this.gapFilling = [];
    try {
      for await (const page of this.opts.history.afterPosition({ readerId: null, everything: true }, this.lastSeen)) {
        for (const row of page) {
          this.lastSeen = row.id;
          const result = JSON.parse(row.json) as Record<string, unknown>;
          this.route(new StreamEntry(row.id, row.json, row.privateTo, Number(result.msm_id), Number(result.prb_id), row.ts, String(result.type), 0));
        }
      }
      this.opts.metrics.gapFills.inc();
    } catch (err) {
      this.opts.log.error({ err }, "filling the gap after a bus outage failed");
    } finally {
      const held = this.gapFilling;
      this.gapFilling = null;
      for (const message of held) this.onMessage(message);
    }
  }
}
