import type { Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import type { FastifyBaseLogger } from "fastify";
import type { ProbeStatusEvent } from "@probestream/types";
import type { Pool } from "@probestream/db";
import { Channels, type MessageBus } from "@probestream/bus";
import type { ProbeAuthenticator } from "./probe-auth.js";
import type { IngestMetrics } from "./metrics.js";

export const PROBE_SOCKET_PATH = "/probe/socket.io";

export interface ProbeSessionOptions {
  pool: Pool;
  bus: MessageBus;
  auth: ProbeAuthenticator;
  metrics: IngestMetrics;
  /** This controller's name in status events (RIPE Atlas: e.g. `ctr-ams01`). */
  controller: string;
  log: FastifyBaseLogger;
}

const RECORD = `
  WITH probe AS (
    UPDATE probes SET
      status = CASE WHEN $2 = 'connect' THEN 1 ELSE 2 END,
      status_since = now(),
      first_connected = CASE WHEN $2 = 'connect' THEN COALESCE(first_connected, now()) ELSE first_connected END,
      last_connected = CASE WHEN $2 = 'connect' THEN now() ELSE last_connected END,
      firmware = COALESCE($4, firmware)
    WHERE id = $1
    RETURNING id, asn_v4, prefix_v4, country_code
  )
  INSERT INTO probe_status_events (prb_id, event, asn, prefix, country, controller)
  SELECT id, $2, asn_v4, prefix_v4, country_code, $3 FROM probe
  RETURNING prb_id, event, extract(epoch FROM at)::bigint AS ts, asn, prefix, country, controller`;

interface RecordedRow {
  prb_id: number;
  event: "connect" | "disconnect";
  ts: string;
  asn: number | null;
  prefix: string | null;
  country: string | null;
  controller: string;
}

/**
 * Probes keep a socket.io session with their controller. Its opening and closing are the probe's
 * connection status: recorded in Postgres, then published as `atlas_probestatus` events. A probe
 * with several sockets (a reconnect racing the old one's timeout) connects once and disconnects
 * when its last socket closes.
 */
export class ProbeSessions {
  readonly io: Server;
  private readonly open = new Map<number, number>();
  private pending: Promise<unknown> = Promise.resolve();

  constructor(server: HttpServer, private readonly opts: ProbeSessionOptions) {
    this.io = new Server(server, { path: PROBE_SOCKET_PATH, serveClient: false, pingInterval: 20_000 });
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
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    await this.pending;
  }

  private async authenticate(socket: Socket): Promise<boolean> {
    const auth = socket.handshake.auth as { prb_id?: unknown; secret?: unknown; firmware?: unknown };
    const prbId = Number(auth.prb_id);
    if (!Number.isInteger(prbId) || prbId <= 0 || typeof auth.secret !== "string") return false;
    if (!(await this.opts.auth.verify({ prbId, secret: auth.secret }))) return false;
    socket.data.prbId = prbId;
    socket.data.firmware = Number.isInteger(auth.firmware) ? auth.firmware : null;
    return true;
  }

  private onConnection(socket: Socket): void {
    const prbId = socket.data.prbId as number;
    const count = (this.open.get(prbId) ?? 0) + 1;
    this.open.set(prbId, count);
    this.opts.metrics.probeSessions.set(this.open.size);
    if (count === 1) this.record(prbId, "connect", socket.data.firmware as number | null);
    socket.on("disconnect", () => {
      const left = (this.open.get(prbId) ?? 1) - 1;
      if (left > 0) {
        this.open.set(prbId, left);
        return;
      }
      this.open.delete(prbId);
      this.opts.metrics.probeSessions.set(this.open.size);
      this.record(prbId, "disconnect", null);
    });
  }

  private record(prbId: number, event: "connect" | "disconnect", firmware: number | null): void {
    // Events of one controller are written in the order they happened.
    this.pending = this.pending.then(() => this.store(prbId, event, firmware)).catch((err: unknown) => {
      this.opts.log.error({ err, prbId, event }, "recording probe status failed");
    });
  }

  private async store(prbId: number, event: "connect" | "disconnect", firmware: number | null): Promise<void> {
    const { rows } = await this.opts.pool.query<RecordedRow>(RECORD, [prbId, event, this.opts.controller, firmware]);
    const row = rows[0];
    if (!row) return;
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
    await this.opts.bus.publish(Channels.probeStatus, JSON.stringify(status));
  }
}
