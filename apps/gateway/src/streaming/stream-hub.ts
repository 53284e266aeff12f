import type { FastifyBaseLogger } from "fastify";
import {
  ProbeStatusNames, StreamEvents, parseSubscription, type NormalizedSubscription, type ProbeStatusEvent,
} from "@probestream/types";
import type { Pool } from "@probestream/db";
import {
  Channels, decodeMeasurementEvent, decodeProbeStatus, decodeResultBatch, type MessageBus, type PublishedMeasurementEvent,
} from "@probestream/bus";
import { mayRead, Rights, type Caller } from "../access/api-keys.js";
import { visibilityOf } from "../access/measurement-visibility.js";
import type { GatewayMetrics } from "../metrics.js";
import { Frame } from "./frame.js";
import { ResultHistory, type HistoryFilter, type HistoryRow } from "./history.js";
import { ResultIndex } from "./result-index.js";
import { compileResultFilter } from "./result-filter.js";
import type { StreamSession } from "./session.js";
import { positionAfter, type StreamEntry } from "./stream-entry.js";
import { Subscription } from "./subscription.js";

export interface StreamLimits {
  subscriptionsPerSession: number;
  sessionsPerAddress: number;
  /** A client holding more unsent bytes than this is warned (`atlas_error`, code "slow_client")... */
  slowClientWarnBytes: number;
  /** ...and past this, disconnected. */
  slowClientDropBytes: number;
  /** Sessions without any subscription for this long are closed. */
  idleMs: number;
  /**
   * WebSocket and HTTP streams: TCP keepalive probes start after the connection was quiet this
   * long, so that a vanished peer is noticed. TCP, not application messages, so that no bytes
   * reach the client and its read timeout still fires on a quiet stream.
   */
  keepAliveMs: number;
  /** How far back `sendBacklog` reaches. */
  backlogSeconds: number;
  /** Live results a subscription holds while reading history, before it reads them from storage instead. */
  historyQueueLimit: number;
  /**
   * How long a committed result may stay unheard on the bus before it is read from storage
   * (a publish that was lost: ingest stopped between commit and publish, or Redis refused it).
   */
  unpublishedGraceMs: number;
}

export const DEFAULT_LIMITS: StreamLimits = {
  subscriptionsPerSession: 64,
  sessionsPerAddress: 1000,
  slowClientWarnBytes: 1 << 20,
  slowClientDropBytes: 8 << 20,
  idleMs: 120_000,
  keepAliveMs: 30_000,
  backlogSeconds: 300,
  historyQueueLimit: 20_000,
  unpublishedGraceMs: 5000,
};

/** History reads wait while a client holds more than this unsent. */
const HISTORY_HIGH_WATER = 256 * 1024;

export interface StreamHubOptions {
  bus: MessageBus;
  pool: Pool;
  metrics: GatewayMetrics;
  log: FastifyBaseLogger;
  limits: StreamLimits;
}

function keyOf(s: NormalizedSubscription): string {
  // Everything but delivery options identifies a subscription (atlas_unsubscribe repeats it).
  const { buffering: _b, sendBacklog: _s, sendPositions: _p, ...identity } = s as NormalizedSubscription & Record<string, unknown>;
  return JSON.stringify(identity, Object.keys(identity).sort());
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The streaming protocol, independent of transport: subscriptions and their index, routing of
 * committed results from the bus, history (replay, resume, backlog) with an exact hand-over to
 * live, probe status and measurement events, and the limits that protect the service.
 */
export class StreamHub {
  private readonly results = new ResultIndex<Subscription>();
  private readonly probeStatus = new Set<Subscription>();
  private readonly metadata = new Set<Subscription>();
  private readonly sessions = new Set<StreamSession>();
  private readonly perAddress = new Map<string, number>();
  private readonly idleSince = new Map<StreamSession, number>();
  private readonly history: ResultHistory;
  private readonly stopBus: Array<() => Promise<void>> = [];
  private sweeper: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** The newest stored position at the last watchdog check. */
  private storedAtLastCheck = "0";
  /** Newest position taken from the bus; after a bus outage, everything after it is read from storage. */
  private lastSeen = "0";
  private gapFilling: string[] | null = null;
  /** socket.io sessions are reached by one broadcast per result: the transport installs it. */
  broadcastSocketIo: ((sessions: StreamSession[], frame: Frame, withMeta: boolean) => void) | undefined;

  constructor(private readonly opts: StreamHubOptions) {
    this.history = new ResultHistory(opts.pool);
  }

  async start(): Promise<void> {
    const { bus } = this.opts;
    this.stopBus.push(
      await bus.subscribe(Channels.results, (m) => this.onResultMessage(m)),
      await bus.subscribe(Channels.probeStatus, (m) => this.onProbeStatus(m)),
      await bus.subscribe(Channels.metadata, (m) => this.onMetadata(m)),
    );
    bus.onResubscribed(() => void this.fillGap());
    // Live begins now: what was stored before is history (replay, resume), not a gap to fill.
    const stored = await this.history.newestPosition();
    if (positionAfter(stored, this.lastSeen)) this.lastSeen = stored;
    this.storedAtLastCheck = this.lastSeen;
    this.sweeper = setInterval(() => this.closeIdle(), Math.min(5000, this.opts.limits.idleMs));
    this.sweeper.unref();
    this.watchdog = setInterval(() => void this.checkUnpublished(), this.opts.limits.unpublishedGraceMs);
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.watchdog) clearInterval(this.watchdog);
    await Promise.all(this.stopBus.map((stop) => stop()));
    for (const session of this.sessions) this.detach(session);
  }

  get limits(): Readonly<StreamLimits> {
    return this.opts.limits;
  }

  /** Whether another connection from this address is allowed. */
  admits(address: string): boolean {
    return (this.perAddress.get(address) ?? 0) < this.opts.limits.sessionsPerAddress;
  }

  attach(session: StreamSession): void {
    this.sessions.add(session);
    this.perAddress.set(session.address, (this.perAddress.get(session.address) ?? 0) + 1);
    this.idleSince.set(session, Date.now());
    this.opts.metrics.sessions.inc({ transport: session.transport });
  }

  detach(session: StreamSession): void {
    if (!this.sessions.delete(session)) return;
    session.closed = true;
    for (const sub of session.subscriptions.values()) this.drop(sub);
    session.subscriptions.clear();
    this.idleSince.delete(session);
    const n = (this.perAddress.get(session.address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(session.address, n);
    else this.perAddress.delete(session.address);
    this.opts.metrics.sessions.dec({ transport: session.transport });
  }

  /** A client message: `atlas_subscribe` or `atlas_unsubscribe`. */
  async handle(session: StreamSession, event: string, payload: unknown): Promise<void> {
    if (event === StreamEvents.subscribe) return this.subscribe(session, payload);
    if (event === StreamEvents.unsubscribe) return this.unsubscribe(session, payload);
    this.error(session, `unknown event "${event}": send atlas_subscribe or atlas_unsubscribe`);
  }

  private error(session: StreamSession, message: string, parameter?: string, code?: string): void {
    session.send(Frame.of(StreamEvents.error, { message, ...(parameter ? { parameter } : {}), ...(code ? { code } : {}) }));
  }

  private async subscribe(session: StreamSession, raw: unknown): Promise<void> {
    const parsed = parseSubscription(raw);
    if (!parsed.ok) return this.error(session, parsed.error.message, parsed.error.parameter);
    const params = parsed.value;
    const key = keyOf(params);
    if (session.subscriptions.has(key)) {
      session.send(Frame.of(StreamEvents.subscribed, raw));
      return;
    }
    if (session.subscriptions.size >= this.opts.limits.subscriptionsPerSession) {
      return this.error(session, `at most ${this.opts.limits.subscriptionsPerSession} subscriptions per connection`);
    }
    if (params.msm !== undefined && params.streamType === "result") {
      const privateTo = await visibilityOf(this.opts.pool, params.msm);
      if (!mayRead(session.caller, privateTo)) {
        return this.error(session, `measurement ${params.msm} is private: connect with a key that may read it`, "msm", "forbidden");
      }
    }
    if (session.closed) return;
    const matcher = params.streamType === "result" ? compileResultFilter(params) : null;
    const sub = new Subscription(session, key, raw, params, matcher, this.opts.limits.historyQueueLimit);
    session.subscriptions.set(key, sub);
    this.idleSince.delete(session);
    this.opts.metrics.subscriptions.inc();
    const readsHistory =
      params.streamType === "result" &&
      (params.startTime !== undefined || params.resumeFrom !== undefined || params.sendBacklog);
    if (params.streamType === "result") {
      // Registered before history is read, so that nothing committed from now on escapes it.
      if (readsHistory) sub.mode = "history";
      this.results.add(sub);
    } else if (params.streamType === "probestatus") this.probeStatus.add(sub);
    else this.metadata.add(sub);
    session.send(Frame.of(StreamEvents.subscribed, raw));
    if (readsHistory) {
      this.readHistory(sub).catch((err: unknown) => {
        this.opts.log.error({ err }, "reading history for a subscription failed");
        this.error(session, "reading stored results failed; subscribe again to retry");
        this.removeSubscription(sub);
      });
    }
  }

  private unsubscribe(session: StreamSession, raw: unknown): void {
    const parsed = parseSubscription(raw);
    if (!parsed.ok) return this.error(session, parsed.error.message, parsed.error.parameter);
    const sub = session.subscriptions.get(keyOf(parsed.value));
    if (!sub) return this.error(session, "no subscription with these parameters on this connection");
    this.removeSubscription(sub);
    session.send(Frame.of(StreamEvents.unsubscribed, raw));
  }

  private removeSubscription(sub: Subscription): void {
    const { session } = sub;
    session.subscriptions.delete(sub.key);
    this.drop(sub);
    if (session.subscriptions.size > 0) return;
    // An HTTP stream carries one subscription: when it ends, so does the response.
    if (session.transport === "http") {
      this.detach(session);
      session.close();
    } else this.idleSince.set(session, Date.now());
  }

  private drop(sub: Subscription): void {
    sub.end();
    this.results.remove(sub);
    this.probeStatus.delete(sub);
    this.metadata.delete(sub);
    this.opts.metrics.subscriptions.dec();
  }

  // ---- history: replay, resume, backlog ----

  private historyFilter(sub: Subscription): HistoryFilter {
    const caller = sub.session.caller;
    return {
      msm: sub.params.msm,
      prb: sub.params.prb,
      type: sub.params.type,
      readerId: caller.rights.has(Rights.readPrivateResults) ? caller.userId : null,
    };
  }

  private async readHistory(sub: Subscription): Promise<void> {
    const p = sub.params;
    const filter = this.historyFilter(sub);
    const started = Date.now();
    // Replay pacing: a result of time ts is due (ts - startTime) / speed seconds after the start.
    const paced = p.startTime !== undefined && p.speed !== undefined && p.speed > 0;
    // Resolves at once (no await) unless the row is not due yet or the client's buffer is full.
    const pace = (row: HistoryRow): Promise<void> | undefined => {
      const wait = paced ? started + ((row.ts - p.startTime!) / p.speed!) * 1000 - Date.now() : 0;
      if (wait <= 0 && sub.session.bufferedBytes() <= HISTORY_HIGH_WATER) return undefined;
      return (async () => {
        if (wait > 0) await sleep(wait);
        while (!sub.ended && sub.session.bufferedBytes() > HISTORY_HIGH_WATER) await sleep(5);
      })();
    };
    const deliver = async (pages: AsyncGenerator<HistoryRow[]>): Promise<string | null> => {
      let last: string | null = null;
      for await (const page of pages) {
        for (const row of page) {
          if (sub.ended) return last;
          last = row.id;
          const frame = Frame.ofJson(StreamEvents.result, row.json, { position: row.id });
          if (sub.filters && !sub.accepts(frame.payload as Record<string, unknown>)) continue;
          const waiting = pace(row);
          if (waiting) await waiting;
          if (sub.ended) return last;
          sub.send(frame, row.id);
        }
      }
      return last;
    };

    let lastId: string;
    let minTs: number | undefined;
    if (p.resumeFrom !== undefined) {
      lastId = p.resumeFrom;
    } else {
      const upTo = await this.history.newestPosition();
      minTs = p.startTime ?? Math.floor(Date.now() / 1000) - this.opts.limits.backlogSeconds;
      await deliver(this.history.byTime(filter, minTs, p.endTime, upTo));
      lastId = upTo;
      // An end still to come: the replay goes on with live results until then.
      if (p.endTime !== undefined && p.endTime * 1000 <= Date.now()) {
        sub.flush();
        sub.session.send(Frame.of(StreamEvents.replayFinished, this.replayCounts(sub, started, false)));
        this.removeSubscription(sub);
        return;
      }
    }
    // Catch up in commit order until the held live results connect without a gap.
    for (;;) {
      const last = await deliver(this.history.afterPosition(filter, lastId, minTs));
      if (sub.ended) return;
      if (last !== null) lastId = last;
      if (!sub.takeOverflow()) break;
    }
    sub.goLive(lastId);
    sub.flush();
    if (p.endTime !== undefined) {
      const endsIn = Math.max(0, p.endTime * 1000 + 1000 - Date.now());
      setTimeout(() => {
        if (sub.ended) return;
        sub.flush();
        sub.session.send(Frame.of(StreamEvents.replayFinished, this.replayCounts(sub, started, false)));
        this.removeSubscription(sub);
      }, endsIn).unref();
    } else if (p.startTime !== undefined) {
      sub.session.send(Frame.of(StreamEvents.replayFinished, this.replayCounts(sub, started, true)));
    } else if (p.sendBacklog) {
      sub.session.send(Frame.of(StreamEvents.backlogSent, { count: sub.delivered }));
    }
  }

  private replayCounts(sub: Subscription, started: number, live: boolean) {
    return {
      count: sub.delivered,
      startTime: sub.params.startTime,
      endTime: sub.params.endTime ?? null,
      speed: sub.params.speed,
      durationMs: Date.now() - started,
      live,
    };
  }

  // ---- live routing ----

  private onResultMessage(message: string): void {
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
      // Nobody subscribed to results: nothing to parse.
      if (this.results.size === 0) continue;
      let result: Record<string, unknown>;
      try {
        result = JSON.parse(r.json) as Record<string, unknown>;
      } catch (err) {
        this.opts.log.error({ err, id: r.id }, "unreadable result on the bus");
        continue;
      }
      this.route({ id: r.id, json: r.json, privateTo: r.privateTo, result, committedAt: batch.committedAt });
    }
  }

  private route(entry: StreamEntry): void {
    const { result } = entry;
    const routed = { msmId: Number(result.msm_id), prbId: Number(result.prb_id), type: String(result.type) };
    const frame = Frame.ofJson(StreamEvents.result, entry.json, { position: entry.id });
    const reached = new Set<StreamSession>();
    // socket.io sessions by whether they asked for positions: one broadcast each.
    const viaSocketIo: StreamSession[] = [];
    const viaSocketIoWithMeta: StreamSession[] = [];
    this.results.forEachMatch(routed, (sub) => {
      if (!mayRead(sub.session.caller, entry.privateTo) || !sub.accepts(result)) return;
      if (sub.mode === "history") return sub.hold(entry);
      if (!positionAfter(entry.id, sub.deliveredUpTo)) return;
      if (reached.has(sub.session)) return;
      reached.add(sub.session);
      if (!sub.params.buffering && sub.session.transport === "socket.io" && this.broadcastSocketIo) {
        sub.delivered++;
        (sub.positions ? viaSocketIoWithMeta : viaSocketIo).push(sub.session);
      } else sub.send(frame, entry.id);
    });
    if (viaSocketIo.length > 0) this.broadcastSocketIo!(viaSocketIo, frame, false);
    if (viaSocketIoWithMeta.length > 0) this.broadcastSocketIo!(viaSocketIoWithMeta, frame, true);
    if (reached.size === 0) return;
    const m = this.opts.metrics;
    m.delivered.inc(reached.size);
    if (entry.committedAt > 0) m.commitToSendSeconds.observe(Math.max(0, Date.now() - entry.committedAt) / 1000);
    for (const session of reached) this.checkSlow(session);
  }

  /** Warns a client holding too much unsent, and cuts it off past the limit, so it cannot grow our memory. */
  private checkSlow(session: StreamSession): void {
    const buffered = session.bufferedBytes();
    const { slowClientWarnBytes, slowClientDropBytes } = this.opts.limits;
    if (buffered > slowClientDropBytes) {
      this.opts.metrics.dropped.inc();
      this.detach(session);
      session.close(true);
    } else if (buffered > slowClientWarnBytes && !session.warnedSlow) {
      session.warnedSlow = true;
      this.error(session, `client reads too slowly: ${buffered} bytes unsent; it will be disconnected past ${slowClientDropBytes}`, undefined, "slow_client");
    } else if (buffered < slowClientWarnBytes / 2) session.warnedSlow = false;
  }

  /**
   * Every grace period: whatever was final in the log at the previous check must have been heard on
   * the bus by now (the relay publishes within milliseconds of a commit). If not, no relay is
   * working (every ingest process is down, or the bus is), and the gap is read from storage.
   */
  private async checkUnpublished(): Promise<void> {
    try {
      const expected = this.storedAtLastCheck;
      this.storedAtLastCheck = await this.history.newestPosition();
      if (positionAfter(expected, this.lastSeen)) {
        this.opts.log.warn({ heard: this.lastSeen, stored: expected }, "committed results were not published: reading them from storage");
        await this.fillGap();
      }
    } catch (err) {
      this.opts.log.error({ err }, "checking for unpublished results failed");
    }
  }

  /** After a bus outage: route what was committed meanwhile from storage, then the bus again. */
  private async fillGap(): Promise<void> {
    if (this.gapFilling) return;
    this.gapFilling = [];
    try {
      let from = this.lastSeen;
      for await (const page of this.history.afterPosition({ readerId: null, everything: true }, from)) {
        for (const row of page) {
          from = row.id;
          this.lastSeen = row.id;
          this.route({ id: row.id, json: row.json, privateTo: row.privateTo, result: JSON.parse(row.json) as Record<string, unknown>, committedAt: 0 });
        }
      }
      this.opts.metrics.gapFills.inc();
    } catch (err) {
      this.opts.log.error({ err }, "filling the gap after a bus outage failed");
    } finally {
      const held = this.gapFilling;
      this.gapFilling = null;
      for (const message of held) this.onResultMessage(message);
    }
  }

  // ---- probe status and measurement events ----

  private onProbeStatus(message: string): void {
    let event: ProbeStatusEvent;
    try {
      event = decodeProbeStatus(message);
    } catch (err) {
      this.opts.log.error({ err }, "unreadable probe status on the bus");
      return;
    }
    let plain: Frame | undefined;
    let enriched: Promise<Frame> | undefined;
    const reached = new Set<StreamSession>();
    for (const sub of this.probeStatus) {
      if (sub.params.prb !== undefined && sub.params.prb !== event.prb_id) continue;
      if (reached.has(sub.session)) continue;
      reached.add(sub.session);
      if (sub.params.enrichProbes) {
        enriched ??= this.enrich(event);
        enriched.then((frame) => !sub.ended && sub.session.send(frame)).catch(() => {});
      } else sub.session.send((plain ??= Frame.of(StreamEvents.probeStatus, event)));
    }
  }

  private async enrich(event: ProbeStatusEvent): Promise<Frame> {
    const { rows } = await this.opts.pool.query(
      `SELECT id, address_v4, address_v6, prefix_v4, prefix_v6, asn_v4, asn_v6, country_code,
              latitude, longitude, is_anchor, is_public, description, status, status_since,
              first_connected, last_connected, firmware
       FROM probes WHERE id = $1`,
      [event.prb_id],
    );
    const p = rows[0] as Record<string, unknown> | undefined;
    const seconds = (d: unknown) => (d instanceof Date ? Math.floor(d.getTime() / 1000) : null);
    const probe = p && {
      id: p.id,
      address_v4: p.address_v4,
      address_v6: p.address_v6,
      prefix_v4: p.prefix_v4,
      prefix_v6: p.prefix_v6,
      asn_v4: p.asn_v4,
      asn_v6: p.asn_v6,
      country_code: typeof p.country_code === "string" ? p.country_code.trim() : null,
      geometry: p.longitude !== null && p.latitude !== null ? { type: "Point", coordinates: [p.longitude, p.latitude] } : null,
      is_anchor: p.is_anchor,
      is_public: p.is_public,
      description: p.description,
      firmware_version: p.firmware,
      status: { id: p.status, name: ProbeStatusNames[p.status as keyof typeof ProbeStatusNames] ?? "Unknown", since: seconds(p.status_since) },
      first_connected: seconds(p.first_connected),
      last_connected: seconds(p.last_connected),
    };
    return Frame.of(StreamEvents.probeStatus, { ...event, probe: probe ?? null });
  }

  private onMetadata(message: string): void {
    let published: PublishedMeasurementEvent;
    try {
      published = decodeMeasurementEvent(message);
    } catch (err) {
      this.opts.log.error({ err }, "unreadable measurement event on the bus");
      return;
    }
    const { event, privateTo } = published;
    const frame = Frame.of(StreamEvents.metadata, event);
    const reached = new Set<StreamSession>();
    for (const sub of this.metadata) {
      if (sub.params.msm !== undefined && sub.params.msm !== event.msm_id) continue;
      if (sub.params.type !== undefined && sub.params.type !== event.type) continue;
      if (reached.has(sub.session) || !mayRead(sub.session.caller, privateTo)) continue;
      reached.add(sub.session);
      sub.session.send(frame);
    }
  }

  private closeIdle(): void {
    const limit = Date.now() - this.opts.limits.idleMs;
    for (const [session, since] of this.idleSince) {
      if (since > limit) continue;
      this.error(session, `no subscription for ${Math.round(this.opts.limits.idleMs / 1000)} s: closing`, undefined, "idle");
      this.detach(session);
      session.close();
    }
  }

  /** For tests and metrics: how many result subscriptions the index holds. */
  get resultSubscriptions(): number {
    return this.results.size;
  }
}

export type { Caller };
