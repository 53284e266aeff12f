import type { Pool, PoolClient } from "pg";
import { WRITES_NO_LOG_APPLICATION } from "./pool.js";

type Queryable = Pool | PoolClient;

/**
 * Stream positions. A result's place in the committed log is (tx, id): its writing transaction,
 * then its id (see the migration `result-log`). As a position it is one decimal string, tx followed
 * by the id in `ID_DIGITS` digits, so that positions compare as numbers (by length, then
 * lexicographically) and callers never need to know there are two parts.
 */
const ID_DIGITS = 12;

/** The position before every result. */
export const LOG_START = "0";

/** SQL for a row's position. */
export const POSITION_SQL = `(tx::text || lpad(id::text, ${ID_DIGITS}, '0'))`;

/**
 * SQL for the transaction ids the logs need not wait for, as `xid` text: those of sessions of other
 * databases of the cluster (transaction ids are the cluster's, but another database's transaction
 * never writes these logs; measured on a shared cluster: a 13 s transaction of another database held
 * every live result that long), and those of this database's sessions that promise never to write
 * a log's rows (WRITES_NO_LOG_APPLICATION: webhook workers, whose attempts and positions, written
 * all the time under hostile receivers, held the relay's shortcut back). pg_stat_activity's own
 * function, without the view's joins: a tenth of a millisecond a statement here.
 */
const IGNORED_XIDS_SQL = `SELECT s.backend_xid::text FROM pg_stat_get_activity(NULL) s
  WHERE s.backend_xid IS NOT NULL AND s.datid <> 0
    AND (s.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()) OR s.application_name = '${WRITES_NO_LOG_APPLICATION}')`;

/** SQL for an `xid8` expression as the `xid` text pg_stat_activity shows. */
const asXid = (xid8: string) => `(${xid8}::text::numeric % 4294967296)::text`;

/**
 * SQL for the final horizon of snapshot `snap`: rows of transactions below it can no longer be
 * preceded by others. It is the oldest transaction the snapshot saw running, those the logs need
 * not wait for aside (one that ended since counts: its rows are not visible to this snapshot), else the
 * snapshot's xmax.
 */
export function finalHorizonSql(snap: string): string {
  return `(SELECT COALESCE(min(x), pg_snapshot_xmax(${snap})) FROM pg_snapshot_xip(${snap}) AS x
    WHERE ${asXid("x")} NOT IN (${IGNORED_XIDS_SQL}))`;
}

/**
 * SQL that holds when every transaction of this database below `tx` had ended when snapshot `snap`
 * was taken (`tx` being assigned after it), so that `snap` sees every row that comes before tx's:
 * each transaction the snapshot saw running, and each id assigned between it and `tx` (at most 64
 * are looked at), is one the logs need not wait for (IGNORED_XIDS_SQL), still running.
 */
export function precededOnlyByVisibleSql(snap: string, tx: string): string {
  return `(${tx}::text::numeric - pg_snapshot_xmax(${snap})::text::numeric <= 64 AND NOT EXISTS (
    SELECT 1 FROM (SELECT x FROM pg_snapshot_xip(${snap}) AS x
                   UNION ALL SELECT (n::text)::xid8 FROM generate_series(pg_snapshot_xmax(${snap})::text::numeric, ${tx}::text::numeric - 1) AS n) earlier
    WHERE ${asXid("earlier.x")} NOT IN (${IGNORED_XIDS_SQL})))`;
}

/** SQL that holds for rows no running transaction can still precede: the final part of the log. */
export const FINAL_SQL = `tx < ${finalHorizonSql("pg_current_snapshot()")}`;

/** Whether position `a` comes after position `b` (decimal strings without leading zeros). */
export function positionAfter(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}

/** A position's parts, for `(tx, id) > ($tx::xid8, $id::bigint)`; a malformed one is an error. */
export function positionParts(position: string): [tx: string, id: string] {
  if (!/^(0|[1-9][0-9]*)$/.test(position)) throw new RangeError(`not a stream position: ${position}`);
  if (position.length <= ID_DIGITS) return ["0", position];
  return [position.slice(0, -ID_DIGITS), String(Number.parseInt(position.slice(-ID_DIGITS), 10))];
}

/** SQL (with two parameters pushed onto `params`) for "after this position". */
export function afterPositionSql(position: string, params: unknown[]): string {
  const [tx, id] = positionParts(position);
  params.push(tx, id);
  return `(tx, id) > ($${params.length - 1}::xid8, $${params.length}::bigint)`;
}

/**
 * SQL for a result as served to users: the probe's JSON with `stored_timestamp` appended, without
 * parsing it (the one place that builds it from storage). A stored result is never `{}` (ingest
 * validates its fields), so the body is read once, with no test for an empty object: measured here,
 * reading it twice cost downloads 1.7 times the bare read. Its closing brace (one byte) is cut as
 * bytes: text functions count characters, which in UTF-8 means scanning the whole body twice
 * (measured here: 300,000 pings read in 1.27 s with `left(body, -1)`, 0.74 s this way, 0.69 s bare).
 */
export const SERVED_JSON_SQL =
  `convert_from(substring(convert_to(body::text, 'UTF8') FROM 1 FOR octet_length(body::text) - 1), 'UTF8')` +
  ` || ',"stored_timestamp":' || extract(epoch FROM stored_at)::bigint || '}'`;

/** SQL for who may read measurement `m`: null when public, else its owner (0: nobody). `privateToOf` in JavaScript. */
export const MEASUREMENT_PRIVATE_TO_SQL = "CASE WHEN m.is_public THEN NULL ELSE COALESCE(m.owner_id, 0) END";

/** SQL: whether what is private to `privateTo` (an SQL expression, NULL: public) may be read by user `reader` (a parameter). */
export function readableBySql(privateTo: string, reader: string): string {
  return `(${privateTo} IS NULL OR ${privateTo} = ${reader}::int)`;
}

/** SQL for who may read a result's measurement: null when public, else its owner (0: nobody). */
export const PRIVATE_TO_SQL = `(SELECT ${MEASUREMENT_PRIVATE_TO_SQL} FROM measurements m WHERE m.id = msm_id)`;

/** A result of the final log, as the relay publishes it. */
export interface LogEntry {
  position: string;
  json: string;
  privateTo: number | null;
  msmId: number;
  prbId: number;
  /** The probe's measurement time, Unix seconds. */
  timestamp: number;
  type: string;
  /** When its transaction began storing it (Unix ms). */
  storedAtMs: number;
}

/** The newest final position (`LOG_START` when the log is empty). */
export async function newestFinalPosition(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ position: string }>(
    `SELECT ${POSITION_SQL} AS position FROM results WHERE ${FINAL_SQL} ORDER BY tx DESC, id DESC LIMIT 1`,
  );
  return rows[0]?.position ?? LOG_START;
}

/** Final results after `position`, in log order, at most `limit`. */
export async function readFinalAfter(db: Queryable, position: string, limit: number): Promise<LogEntry[]> {
  const params: unknown[] = [];
  const after = afterPositionSql(position, params);
  params.push(limit);
  const { rows } = await db.query<{
    position: string; json: string; private_to: number | null; msm_id: number; prb_id: number; ts: string; type: string; stored_ms: string;
  }>(
    `SELECT ${POSITION_SQL} AS position, ${SERVED_JSON_SQL} AS json, ${PRIVATE_TO_SQL} AS private_to,
            msm_id, prb_id, extract(epoch FROM ts)::bigint AS ts, type, (extract(epoch FROM stored_at) * 1000)::bigint AS stored_ms
     FROM results WHERE ${after} AND ${FINAL_SQL} ORDER BY tx, id LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => ({
    position: r.position, json: r.json, privateTo: r.private_to, msmId: r.msm_id, prbId: r.prb_id, timestamp: Number(r.ts), type: r.type,
    storedAtMs: Number(r.stored_ms),
  }));
}

/**
 * A webhook's page of a log (results, probe status or measurement events: each a table with `tx`,
 * `id`): up to `limit` final rows after a position that pass `filter`, in log order, looked for
 * among at most `span` rows. The span walks the log index in order and the filter (a private-to
 * lookup included) runs on at most `span` rows: filtering in one scan, PostgreSQL would read every
 * row of a measurement through its other indexes, and test every row after the position, at each read.
 * `columns`: those of the table the filter and `select` use. The answer's first row tells the horizon (newest final position, same snapshot), the span's size
 * and end; page rows have `page_tx`/`page_id` and the columns of `select` (null when the page is empty).
 */
export function logPageSql(q: {
  table: string; columns: string; after: string; spanParam: number; select: string; filter: string; limitParam: number;
}): string {
  return `WITH horizon AS (SELECT tx, id, ${POSITION_SQL} AS position FROM ${q.table} WHERE ${FINAL_SQL} ORDER BY tx DESC, id DESC LIMIT 1),
     span AS MATERIALIZED (
       SELECT ${q.columns} FROM ${q.table} WHERE ${q.after} AND (tx, id) <= (SELECT tx, id FROM horizon) ORDER BY tx, id LIMIT $${q.spanParam}),
     page AS (
       SELECT ${q.select}, tx AS page_tx, id AS page_id FROM span WHERE ${q.filter} ORDER BY span.tx, span.id LIMIT $${q.limitParam})
     SELECT (SELECT position FROM horizon) AS horizon, (SELECT count(*)::int FROM span) AS spanned,
            (SELECT ${POSITION_SQL} FROM span ORDER BY tx DESC, id DESC LIMIT 1) AS span_end, page.*
     FROM (SELECT 1) AS one LEFT JOIN page ON true ORDER BY page.page_tx, page.page_id`;
}

/** The first row of a logPageSql answer. */
export interface LogPageHead {
  horizon: string | null;
  spanned: number;
  span_end: string | null;
}

/**
 * How far a page looked (`upTo`): the horizon, or the span's last row when the span filled first
 * (`more`: the log goes on past it). Rows up to `upTo` not on the page are not the filter's, unless
 * the page holds `limit` of them.
 */
export function logPageReach(head: LogPageHead | undefined, span: number): { upTo: string; more: boolean } {
  const more = head?.spanned === span;
  return { upTo: more ? head.span_end! : (head?.horizon ?? LOG_START), more };
}

/** The session lock of the relay: one session of a deployment relays the log, and any process can take over. */
const RELAY_LOCK = 0x72656c79; // "rely"

/** Takes the relay lock for `client`'s session if no other session holds it; it ends with the session. */
export async function tryTakeRelayLock(client: PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [RELAY_LOCK]);
  return rows[0]?.ok === true;
}

/**
 * Has `client`'s session hear each commit of results: a statement trigger on `results` notifies
 * `results_committed` (migration 5), from the committing backend (the notification's `processId`).
 * The listeners go on the client before this is called.
 */
export async function listenForCommits(client: PoolClient): Promise<void> {
  await client.query("LISTEN results_committed");
}

/** Where the relay `name` has published up to; null when it never ran. */
export async function relayPosition(db: Queryable, name: string): Promise<string | null> {
  const { rows } = await db.query<{ position: string }>("SELECT position FROM result_log_relay WHERE name = $1", [name]);
  return rows[0]?.position ?? null;
}

export async function saveRelayPosition(db: Queryable, name: string, position: string): Promise<void> {
  await db.query(
    `INSERT INTO result_log_relay (name, position) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
    [name, position],
  );
}
