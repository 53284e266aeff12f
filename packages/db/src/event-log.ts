import type { Pool, PoolClient } from "pg";
import type { MeasurementEvent } from "@probestream/types";
import { FINAL_SQL, LOG_START, POSITION_SQL, afterPositionSql, logPageReach, logPageSql, readableBySql, type LogPageHead } from "./result-log.js";

type Queryable = Pool | PoolClient;

/**
 * Probe status and measurement events as ordered logs with stream positions, as the result log has
 * (see result-log.ts and the migration `event-logs`): rows below the transaction horizon are final,
 * read in (tx, id) order after a position they miss nothing and repeat nothing. Webhooks of
 * `probestatus` and `metadata` streams deliver from here, and resume from their position.
 */
export type EventLog = "probestatus" | "metadata";

/** One event as the stream sends it, at its position in its log. */
export interface LoggedEvent {
  position: string;
  json: string;
  /** When it was stored (Unix ms). */
  storedAtMs: number;
}

/** What of a log a webhook reads: events of one probe (probestatus) or measurement and type (metadata), and who reads. */
export interface EventLogFilter {
  prb?: number;
  msm?: number;
  type?: string;
  /** The reader's user id when it may read its private measurements, else null. */
  readerId: number | null;
}

const LOGS: Record<EventLog, { table: string; json: string; filter: (f: EventLogFilter, params: unknown[]) => string[] }> = {
  probestatus: {
    table: "probe_status_events",
    // The event as ingest publishes it (probe-sessions.ts), in its key order.
    json: `json_build_object('prb_id', prb_id, 'type', 'connection', 'event', event, 'timestamp', extract(epoch FROM at)::bigint,
             'controller', controller, 'asn', asn, 'prefix', prefix, 'country', rtrim(country))::text`,
    filter: (f, params) => (f.prb === undefined ? [] : [`prb_id = $${params.push(f.prb)}`]),
  },
  metadata: {
    table: "measurement_events",
    json: "event::text",
    filter: (f, params) => {
      const where = [readableBySql("private_to", `$${params.push(f.readerId)}`)];
      if (f.msm !== undefined) where.push(`msm_id = $${params.push(f.msm)}`);
      if (f.type !== undefined) where.push(`event->>'type' = $${params.push(f.type)}`);
      return where;
    },
  },
};

/** The newest final position of a log (`LOG_START` when it is empty): where a new webhook starts. */
export async function newestEventPosition(db: Queryable, log: EventLog): Promise<string> {
  const { rows } = await db.query<{ position: string }>(
    `SELECT ${POSITION_SQL} AS position FROM ${LOGS[log].table} WHERE ${FINAL_SQL} ORDER BY tx DESC, id DESC LIMIT 1`,
  );
  return rows[0]?.position ?? LOG_START;
}

/**
 * Up to `limit` final events after `position` that pass the filter, in log order, looked for among
 * at most `span` rows; `upTo` and `more` as StreamHistory.logPage answers them for results.
 */
export async function eventLogPage(
  db: Queryable, log: EventLog, f: EventLogFilter, position: string, limit: number, span: number,
): Promise<{ events: LoggedEvent[]; upTo: string; more: boolean }> {
  const { table, json, filter } = LOGS[log];
  const params: unknown[] = [];
  const after = afterPositionSql(position, params);
  const spanParam = params.push(span);
  const where = filter(f, params);
  const limitParam = params.push(limit);
  const { rows } = await db.query<LogPageHead & { pos: string | null; json: string; stored_ms: string }>(
    logPageSql({
      table, columns: "*", after, spanParam,
      select: `${POSITION_SQL} AS pos, ${json} AS json, (extract(epoch FROM at) * 1000)::bigint AS stored_ms`,
      filter: where.length > 0 ? where.join(" AND ") : "true", limitParam,
    }),
    params,
  );
  const { upTo, more } = logPageReach(rows[0], span);
  const events = rows.filter((r) => r.pos !== null).map((r) => ({ position: r.pos!, json: r.json, storedAtMs: Number(r.stored_ms) }));
  return { events, upTo, more };
}

/** A measurement event as stored and published: the event, and who may read it. */
export interface StoredMeasurementEvent {
  /** Owner of the private measurement (0: nobody), null when public. */
  privateTo: number | null;
  event: MeasurementEvent;
}

/**
 * Stores measurement events in the transaction of the change they tell about (`db`: its client), so
 * that no crash can keep the change and lose its event; they are published once it has committed.
 */
export async function recordMeasurementEvents(db: Queryable, events: readonly StoredMeasurementEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO measurement_events (msm_id, private_to, event)
     SELECT msm_id, private_to, event FROM unnest($1::int[], $2::int[], $3::json[]) WITH ORDINALITY AS e(msm_id, private_to, event, n) ORDER BY n`,
    [events.map((e) => e.event.msm_id), events.map((e) => e.privateTo), events.map((e) => JSON.stringify(e.event))],
  );
}
