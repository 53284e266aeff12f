import type { Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import type { FastifyBaseLogger } from "fastify";
import { isIPv4, isIPv6 } from "node:net";
import type { ProbeSessionAuth, ProbeStatusEvent } from "@probestream/types";
import { refreshSystemTags, type Pool } from "@probestream/db";
import { Channels, type MessageBus } from "@probestream/bus";
import type { ProbeAuthenticator } from "./probe-auth.js";
import type { IngestMetrics } from "./metrics.js";

export const PROBE_SOCKET_PATH = "/probe/socket.io";

export interface ProbeSessionOptions {
  /** A probe that answers no heartbeat for this long is disconnected (and so recorded). */
  heartbeatMs: number;
  pool: Pool;
  bus: MessageBus;
  auth: ProbeAuthenticator;
  metrics: IngestMetrics;
  /** This controller's name in status events (RIPE Atlas: e.g. `ctr-ams01`). */
  controller: string;
  log: FastifyBaseLogger;
}

// Records a run of status changes in one statement: each probe's row takes its last change, every
// change becomes an event, in the order it happened.
const RECORD = `
  WITH change AS (
    SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $5::text[], $6::text[])
      WITH ORDINALITY AS t(prb_id, event, firmware, address_v4, address_v6, ord)
  ), latest AS (
    SELECT prb_id,
           (array_agg(event ORDER BY ord DESC))[1] AS event,
           bool_or(event = 'connect') AS connected,
           (array_agg(firmware ORDER BY ord DESC) FILTER (WHERE firmware IS NOT NULL))[1] AS firmware,
           (array_agg(address_v4 ORDER BY ord DESC) FILTER (WHERE address_v4 IS NOT NULL))[1] AS address_v4,
           (array_agg(address_v6 ORDER BY ord DESC) FILTER (WHERE address_v6 IS NOT NULL))[1] AS address_v6
    FROM change GROUP BY prb_id
  ), probe AS (
    UPDATE probes p SET
      status = CASE WHEN latest.event = 'connect' THEN 1 ELSE 2 END,
      status_since = now(),
      first_connected = CASE WHEN latest.connected THEN COALESCE(p.first_connected, now()) ELSE p.first_connected END,
      last_connected = CASE WHEN latest.connected THEN now() ELSE p.last_connected END,
      firmware = COALESCE(latest.firmware, p.firmware),
      address_v4 = COALESCE(latest.address_v4, p.address_v4),
      address_v6 = COALESCE(latest.address_v6, p.address_v6)
    FROM latest WHERE p.id = latest.prb_id
    RETURNING p.id, p.asn_v4, p.prefix_v4, p.country_code
  )
  INSERT INTO probe_status_events (prb_id, event, asn, prefix, country, controller)
  SELECT change.prb_id, change.event, probe.asn_v4, probe.prefix_v4, probe.country_code, $4
  FROM change JOIN probe ON probe.id = change.prb_id ORDER BY change.ord
  RETURNING id, prb_id, event, extract(epoch FROM at)::bigint AS ts, asn, prefix, country, controller`;

/** What a probe reports when its session opens. */
interface Reported {
  firmware: number | null;
  addressV4: string | null;
  addressV6: string | null;
}

interface StatusChange extends Reported {
  prbId: number;
  event: "connect" | "disconnect";
}

interface RecordedRow {
  id: string;
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
  private queued: StatusChange[] = [];
  private flushing: Promise<void> | null = null;

  constructor(server: HttpServer, private readonly opts: ProbeSessionOptions) {
    this.io = new Server(server, {
      path: PROBE_SOCKET_PATH,
      serveClient: false,
      pingInterval: opts.heartbeatMs,
      pingTimeout: opts.heartbeatMs,
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
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
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

  private record(change: StatusChange): void {
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

  private async store(run: StatusChange[]): Promise<void> {
    const { rows } = await this.opts.pool.query<RecordedRow>(RECORD, [
      run.map((c) => c.prbId),
      run.map((c) => c.event),
      run.map((c) => c.firmware),
      this.opts.controller,
      run.map((c) => c.addressV4),
      run.map((c) => c.addressV6),
    ]);
    // Addresses a probe reports make it IPv4/IPv6 capable (system tags) at once.
    const reporting = run.filter((c) => c.addressV4 !== null || c.addressV6 !== null).map((c) => c.prbId);
    if (reporting.length > 0) await refreshSystemTags(this.opts.pool, reporting);
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    for (const row of rows) {
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
}
