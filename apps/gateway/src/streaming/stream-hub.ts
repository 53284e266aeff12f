import type { FastifyBaseLogger } from "fastify";
import { StreamEvents, parseSubscription, type NormalizedSubscription } from "@probestream/types";
import { ProbeDirectory, ResultReader, StreamHistory, type Pool } from "@probestream/db";
import { Channels, type MessageBus } from "@probestream/bus";
import { mayRead } from "../access/api-keys.js";
import type { GatewayMetrics } from "../metrics.js";
import { Frame } from "./frame.js";
import { EventFanOut } from "./event-fanout.js";
import { AlertRouting } from "./alert-routing.js";
import type { StreamLimits } from "./limits.js";
import { LiveRouting } from "./live-routing.js";
import { Replay, readsHistory } from "./replay.js";
import { compileResultFilter } from "./result-filter.js";
import type { StreamSession } from "./session.js";
import { Sessions } from "./sessions.js";
import { Subscription } from "./subscription.js";

export { DEFAULT_LIMITS, type StreamLimits } from "./limits.js";

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

/**
 * The streaming protocol, independent of transport: sessions come from the transports (each says
 * what its transport can do), subscribe and unsubscribe, and each subscription goes to the part
 * that serves it: live routing of results, replay of stored ones, probe status and measurement
 * events.
 */
export class StreamHub {
  private readonly sessions: Sessions;
  private readonly live: LiveRouting;
  private readonly replay: Replay;
  private readonly events: EventFanOut;
  private readonly alerts: AlertRouting;
  private readonly probes: ProbeDirectory;
  private readonly reader: ResultReader;
  private readonly stopBus: Array<() => Promise<void>> = [];

  constructor(private readonly opts: StreamHubOptions) {
    const history = new StreamHistory(opts.pool);
    this.sessions = new Sessions(opts.limits, opts.metrics, (session) => {
      for (const sub of session.subscriptions.values()) this.drop(sub);
      session.subscriptions.clear();
    });
    this.alerts = new AlertRouting({ pool: opts.pool, metrics: opts.metrics, log: opts.log, failed: (sub) => this.removeSubscription(sub) });
    this.live = new LiveRouting({
      history,
      alerts: this.alerts,
      metrics: opts.metrics,
      log: opts.log,
      unpublishedGraceMs: opts.limits.unpublishedGraceMs,
      reached: (session) => this.sessions.checkSlow(session),
    });
    this.replay = new Replay(history, opts.limits.backlogSeconds, (sub) => this.removeSubscription(sub));
    this.probes = new ProbeDirectory(opts.pool);
    this.reader = new ResultReader(opts.pool);
    this.events = new EventFanOut(this.probes, opts.log);
  }

  async start(): Promise<void> {
    const { bus } = this.opts;
    this.stopBus.push(
      await bus.subscribe(Channels.results, (m) => this.live.onMessage(m)),
      await bus.subscribe(Channels.probeStatus, (m) => this.events.onProbeStatus(m)),
      await bus.subscribe(Channels.metadata, (m) => this.events.onMetadata(m)),
    );
    bus.onResubscribed(() => void this.live.fillGap());
    await this.live.start();
    this.sessions.start();
  }

  async stop(): Promise<void> {
    this.live.stop();
    this.alerts.stop();
    await Promise.all(this.stopBus.map((stop) => stop()));
    this.sessions.stop();
    await this.probes.close();
  }

  /** Status checks kept up to date on the live path, for the REST endpoint's polls. */
  get statusChecks(): AlertRouting {
    return this.alerts;
  }

  get limits(): Readonly<StreamLimits> {
    return this.opts.limits;
  }

  /** Whether another connection from this address is allowed. */
  admits(address: string): boolean {
    return this.sessions.admits(address);
  }

  attach(session: StreamSession): void {
    this.sessions.attach(session);
  }

  detach(session: StreamSession): void {
    this.sessions.detach(session);
  }

  /** A client message: `atlas_subscribe` or `atlas_unsubscribe`. Never rejects: a failure is the client's `atlas_error`. */
  async handle(session: StreamSession, event: string, payload: unknown): Promise<void> {
    try {
      if (event === StreamEvents.subscribe) await this.subscribe(session, payload);
      else if (event === StreamEvents.unsubscribe) this.unsubscribe(session, payload);
      else session.error(`unknown event "${event}": send atlas_subscribe or atlas_unsubscribe`);
    } catch (err) {
      this.opts.log.error({ err, event }, "a stream message failed");
      if (!session.closed) session.error(`${event} failed on the server; try again`);
    }
  }

  private async subscribe(session: StreamSession, raw: unknown): Promise<void> {
    const parsed = parseSubscription(raw);
    if (!parsed.ok) return session.error(parsed.error.message, parsed.error.parameter);
    const params = parsed.value;
    const key = keyOf(params);
    if (session.subscriptions.has(key)) {
      session.send(Frame.of(StreamEvents.subscribed, raw));
      return;
    }
    const { subscriptionsPerSession, historyQueueLimit } = this.opts.limits;
    if (session.subscriptions.size >= subscriptionsPerSession) {
      return session.error(`at most ${subscriptionsPerSession} subscriptions per connection`);
    }
    if (params.msm !== undefined && (params.streamType === "result" || params.streamType === "alert")) {
      // A measurement not defined (yet) is public: its results are not anyone's secret.
      const readers = await this.reader.readersOf(params.msm);
      if (!mayRead(session.caller, readers?.privateTo ?? null)) {
        return session.error(`measurement ${params.msm} is private: connect with a key that may read it`, "msm", "forbidden");
      }
    }
    if (session.closed) return;
    const predicate = params.streamType === "result" ? compileResultFilter(params) : null;
    const sub = new Subscription(session, key, params, predicate, historyQueueLimit);
    session.subscriptions.set(key, sub);
    this.sessions.busy(session);
    this.opts.metrics.subscriptions.inc();
    const fromHistory = readsHistory(sub);
    if (params.streamType === "result") {
      // Registered before history is read, so that nothing committed from now on escapes it.
      if (fromHistory) sub.mode = "history";
      this.live.add(sub);
    } else if (params.streamType !== "alert") this.events.add(sub);
    session.send(Frame.of(StreamEvents.subscribed, raw));
    if (params.streamType === "alert") await this.alerts.add(sub);
    if (fromHistory) {
      this.replay.read(sub).catch((err: unknown) => {
        this.opts.log.error({ err }, "reading history for a subscription failed");
        if (sub.ended) return;
        session.error("reading stored results failed; subscribe again to retry");
        this.removeSubscription(sub);
      });
    }
  }

  private unsubscribe(session: StreamSession, raw: unknown): void {
    const parsed = parseSubscription(raw);
    if (!parsed.ok) return session.error(parsed.error.message, parsed.error.parameter);
    const sub = session.subscriptions.get(keyOf(parsed.value));
    if (!sub) return session.error("no subscription with these parameters on this connection");
    this.removeSubscription(sub);
    session.send(Frame.of(StreamEvents.unsubscribed, raw));
  }

  private removeSubscription(sub: Subscription): void {
    const { session } = sub;
    if (session.subscriptions.get(sub.key) !== sub) return;
    session.subscriptions.delete(sub.key);
    this.drop(sub);
    if (session.subscriptions.size > 0) return;
    if (session.transport.endsWithSubscription) {
      this.sessions.detach(session);
      session.close();
    } else this.sessions.idle(session);
  }

  private drop(sub: Subscription): void {
    sub.end();
    this.live.remove(sub);
    this.events.remove(sub);
    this.alerts.remove(sub);
    this.opts.metrics.subscriptions.dec();
  }
}
