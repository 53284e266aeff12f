import type { Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import type { FastifyBaseLogger } from "fastify";
import { StreamEvents, parseSubscription, type NormalizedSubscription, type ProbeStatusEvent } from "@probestream/types";
import { Channels, decodeResultBatch, type MessageBus } from "@probestream/bus";
import { ResultIndex, type ResultFilter } from "./result-index.js";
import type { GatewayMetrics } from "../metrics.js";

export const STREAM_SOCKET_PATH = "/stream/socket.io";

/** Subscriptions one socket may hold at once. */
const MAX_SUBSCRIPTIONS_PER_SOCKET = 64;

interface Subscription {
  socket: Socket;
  key: string;
  params: NormalizedSubscription;
  filter: ResultFilter;
}

export interface StreamServerOptions {
  bus: MessageBus;
  metrics: GatewayMetrics;
  log: FastifyBaseLogger;
}

function keyOf(s: NormalizedSubscription): string {
  return JSON.stringify([s.streamType, s.msm ?? null, s.prb ?? null, s.type ?? null]);
}

/**
 * The RIPE Atlas streaming protocol over socket.io (Engine.IO 3 and 4 clients): `atlas_subscribe`
 * and `atlas_unsubscribe` in; `atlas_subscribed`, `atlas_unsubscribed`, `atlas_result`,
 * `atlas_probestatus` and `atlas_error` out. Results come from the bus as committed and are routed
 * through an index of the subscriptions.
 */
export class StreamServer {
  readonly io: Server;
  private readonly results = new ResultIndex<Subscription>();
  private readonly probeStatus = new Set<Subscription>();
  private readonly bySocket = new Map<Socket, Map<string, Subscription>>();
  private readonly unsubscribeBus: Array<() => Promise<void>> = [];

  constructor(server: HttpServer, private readonly opts: StreamServerOptions) {
    this.io = new Server(server, {
      path: STREAM_SOCKET_PATH,
      allowEIO3: true,
      serveClient: true,
      cors: { origin: true, credentials: true },
    });
    this.io.on("connection", (socket) => this.onConnection(socket));
  }

  async start(): Promise<void> {
    this.unsubscribeBus.push(
      await this.opts.bus.subscribe(Channels.results, (message) => this.onResults(message)),
      await this.opts.bus.subscribe(Channels.probeStatus, (message) => this.onProbeStatus(message)),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.unsubscribeBus.map((stop) => stop()));
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    const subs = new Map<string, Subscription>();
    this.bySocket.set(socket, subs);
    this.opts.metrics.sockets.inc();
    socket.on(StreamEvents.subscribe, (params: unknown) => this.subscribe(socket, subs, params));
    socket.on(StreamEvents.unsubscribe, (params: unknown) => this.unsubscribe(socket, subs, params));
    socket.on("disconnect", () => {
      for (const sub of subs.values()) this.drop(sub);
      this.bySocket.delete(socket);
      this.opts.metrics.sockets.dec();
    });
  }

  private subscribe(socket: Socket, subs: Map<string, Subscription>, raw: unknown): void {
    const parsed = parseSubscription(raw);
    if (!parsed.ok) {
      socket.emit(StreamEvents.error, parsed.error);
      return;
    }
    const params = parsed.value;
    const key = keyOf(params);
    if (!subs.has(key)) {
      if (subs.size >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
        socket.emit(StreamEvents.error, {
          message: `at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per connection`,
        });
        return;
      }
      const sub: Subscription = { socket, key, params, filter: { msm: params.msm, prb: params.prb, type: params.type } };
      subs.set(key, sub);
      if (params.streamType === "result") this.results.add(sub);
      else if (params.streamType === "probestatus") this.probeStatus.add(sub);
      this.opts.metrics.subscriptions.inc();
    }
    socket.emit(StreamEvents.subscribed, raw);
  }

  private unsubscribe(socket: Socket, subs: Map<string, Subscription>, raw: unknown): void {
    const parsed = parseSubscription(raw);
    if (!parsed.ok) {
      socket.emit(StreamEvents.error, parsed.error);
      return;
    }
    const sub = subs.get(keyOf(parsed.value));
    if (!sub) {
      socket.emit(StreamEvents.error, { message: "no subscription with these parameters on this connection" });
      return;
    }
    subs.delete(sub.key);
    this.drop(sub);
    socket.emit(StreamEvents.unsubscribed, raw);
  }

  private drop(sub: Subscription): void {
    this.results.remove(sub);
    this.probeStatus.delete(sub);
    this.opts.metrics.subscriptions.dec();
  }

  private onResults(message: string): void {
    const now = Date.now() / 1000;
    for (const entry of decodeResultBatch(message)) {
      let result: Record<string, unknown>;
      try {
        result = JSON.parse(entry.json) as Record<string, unknown>;
      } catch (err) {
        this.opts.log.error({ err, id: entry.id }, "unreadable result on the bus");
        continue;
      }
      const routed = { msmId: Number(result.msm_id), prbId: Number(result.prb_id), type: String(result.type) };
      // A socket holding several matching subscriptions still receives the result once.
      const sent = new Set<Socket>();
      this.results.forEachMatch(routed, (sub) => {
        if (sent.has(sub.socket)) return;
        sent.add(sub.socket);
        sub.socket.emit(StreamEvents.result, result);
      });
      if (sent.size > 0) {
        this.opts.metrics.delivered.inc(sent.size);
        this.opts.metrics.storeToSendSeconds.observe(Math.max(0, now - Number(result.stored_timestamp)));
      }
    }
  }

  private onProbeStatus(message: string): void {
    let event: ProbeStatusEvent;
    try {
      event = JSON.parse(message) as ProbeStatusEvent;
    } catch (err) {
      this.opts.log.error({ err }, "unreadable probe status on the bus");
      return;
    }
    const sent = new Set<Socket>();
    for (const sub of this.probeStatus) {
      if (sub.filter.prb !== undefined && sub.filter.prb !== event.prb_id) continue;
      if (sent.has(sub.socket)) continue;
      sent.add(sub.socket);
      sub.socket.emit(StreamEvents.probeStatus, event);
    }
  }
}
