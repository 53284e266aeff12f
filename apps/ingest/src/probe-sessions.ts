import type { Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import type { FastifyBaseLogger } from "fastify";
import { isIPv4, isIPv6 } from "node:net";
import { PROBE_HEARTBEAT_MS, PROBE_SOCKET_PATH, type ProbeSessionAuth, type ProbeStatusEvent } from "@probestream/types";
import { recordProbeStatus, type Pool, type ProbeStatusChange } from "@probestream/db";
import { Channels, encodeProbeStatus, type MessageBus } from "@probestream/bus";
import type { ProbeAuthenticator } from "./probe-auth.js";
import type { IngestMetrics } from "./metrics.js";

export interface ProbeSessionOptions {
  /** A probe that answers no heartbeat for this long is disconnected (and so recorded); default `PROBE_HEARTBEAT_MS`. */
  heartbeatMs?: number;
  pool: Pool;
  bus: MessageBus;
  auth: ProbeAuthenticator;
  metrics: IngestMetrics;
  /** This controller's name in status events (RIPE Atlas: e.g. `ctr-ams01`). */
  controller: string;
  log: FastifyBaseLogger;
}

/** What a probe reports when its session opens. */
type Reported = Omit<ProbeStatusChange, "prbId" | "event">;

/**
 * Probes keep a socket.io session with their controller. Its opening and closing are the probe's
 * connection status: recorded in Postgres, then published as `atlas_probestatus` events. A probe
 * with several sockets (a reconnect racing the old one's timeout) connects once and disconnects
 * when its last socket closes.
 */
export class ProbeSessions {
  readonly io: Server;
  private readonly open = new Map<number, number>();
  private queued: ProbeStatusChange[] = [];
  private flushing: Promise<void> | null = null;

  constructor(server: HttpServer, private readonly opts: ProbeSessionOptions) {
    this.io = new Server(server, {
      path: PROBE_SOCKET_PATH,
      serveClient: false,
      pingInterval: opts.heartbeatMs ?? PROBE_HEARTBEAT_MS,
      pingTimeout: opts.heartbeatMs ?? PROBE_HEARTBEAT_MS,
    });
    this.io.use((socket, next) => {
      this.authenticate(socket).then(
        (ok) => next(ok ? undefined : new Error("unknown probe or wrong secret")),
        (err: unknown) => next(err as Error),
      );
    });
    this.io.on("connection", (socket) => this.onConnection(socket));
  }

  /** Stops taking sessions and records the disconnection of every probe still connected. */
  async close(): Promise<void> {
    await this.io.close();
    while (this.flushing) await this.flushing;
  }

  private async authenticate(socket: Socket): Promise<boolean> {
    const auth = socket.handshake.auth as Partial<Record<keyof ProbeSessionAuth, unknown>>;
    const prbId = Number(auth.prb_id);
    if (!Number.isInteger(prbId) || prbId <= 0 || typeof auth.secret !== "string") return false;
    if (!(await this.opts.auth.verify({ prbId, secret: auth.secret }))) return false;
    socket.data.prbId = prbId;
    socket.data.reported = {
      firmware: Number.isInteger(auth.firmware) ? (auth.firmware as number) : null,
      addressV4: typeof auth.address_v4 === "string" && isIPv4(auth.address_v4) ? auth.address_v4 : null,
      addressV6: typeof auth.address_v6 === "string" && isIPv6(auth.address_v6) ? auth.address_v6 : null,
    } satisfies Reported;
    return true;
  }

  private onConnection(socket: Socket): void {
    const prbId = socket.data.prbId as number;
    const count = (this.open.get(prbId) ?? 0) + 1;
    this.open.set(prbId, count);
    this.opts.metrics.probeSessions.set(this.open.size);
    if (count === 1) this.record({ prbId, event: "connect", ...(socket.data.reported as Reported) });
    socket.on("disconnect", () => {
      const left = (this.open.get(prbId) ?? 1) - 1;
      if (left > 0) {
        this.open.set(prbId, left);
        return;
      }
      this.open.delete(prbId);
      this.opts.metrics.probeSessions.set(this.open.size);
      this.record({ prbId, event: "disconnect", firmware: null, addressV4: null, addressV6: null });
    });
  }

  private record(change: ProbeStatusChange): void {
    this.queued.push(change);
    this.flushing ??= this.flush();
  }

  /**
   * Writes queued changes in runs, one statement each, so that a thousand probes reconnecting at
   * once cost a few round trips, not a thousand; changes keep the order they happened in.
   */
  private async flush(): Promise<void> {
    while (this.queued.length > 0) {
      const run = this.queued.splice(0, 1000);
      try {
        await this.store(run);
      } catch (err) {
        this.opts.log.error({ err, changes: run.length }, "recording probe status failed");
      }
    }
    this.flushing = null;
  }

  private async store(run: ProbeStatusChange[]): Promise<void> {
    for (const row of await recordProbeStatus(this.opts.pool, this.opts.controller, run)) {
      const status: ProbeStatusEvent = {
        prb_id: row.prb_id,
        type: "connection",
        event: row.event,
        timestamp: Number(row.ts),
        controller: row.controller,
        asn: row.asn,
        prefix: row.prefix,
        country: row.country?.trim() ?? null,
      };
      await this.opts.bus.publish(Channels.probeStatus, encodeProbeStatus(status));
    }
  }
}
