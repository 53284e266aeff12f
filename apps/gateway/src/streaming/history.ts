import type { Pool } from "@probestream/db";
import { readableMeasurementsSql } from "../access/measurement-visibility.js";

/** A stored result as the stream sends it: its position and its served JSON. */
export interface HistoryRow {
  id: string;
  ts: number;
  json: string;
  /** Owner of its private measurement, null when public. */
  privateTo: number | null;
}

/** The indexed part of a subscription, applied in SQL; the rest is filtered in the gateway. */
export interface HistoryFilter {
  msm?: number;
  prb?: number;
  type?: string;
  /** Caller's user id when it may read its private measurements, else null. */
  readerId: number | null;
  /** Every measurement, private ones included (the hub routes them by access itself). */
  everything?: boolean;
}

const PAGE = 1000;

// Output names differ from the columns: ORDER BY must sort by the columns, not by these texts.
const SERVED = `id::text AS pos, extract(epoch FROM ts)::bigint AS seconds,
  left(body::text, -1) || CASE WHEN body::text = '{}' THEN '' ELSE ',' END
    || '"stored_timestamp":' || extract(epoch FROM stored_at)::bigint || '}' AS json,
  (SELECT CASE WHEN m.is_public THEN NULL ELSE COALESCE(m.owner_id, 0) END FROM measurements m WHERE m.id = msm_id) AS private_to`;

interface Row {
  pos: string;
  seconds: string;
  json: string;
  private_to: number | null;
}

const toRow = (r: Row): HistoryRow => ({ id: r.pos, ts: Number(r.seconds), json: r.json, privateTo: r.private_to });

function where(f: HistoryFilter, params: unknown[]): string {
  const parts: string[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    parts.push(sql(`$${params.length}`));
  };
  if (f.msm !== undefined) add((p) => `msm_id = ${p}`, f.msm);
  if (f.prb !== undefined) add((p) => `prb_id = ${p}`, f.prb);
  if (f.type !== undefined) add((p) => `type = ${p}`, f.type);
  if (!f.everything) add((p) => readableMeasurementsSql(p), f.readerId);
  return parts.length > 0 ? parts.join(" AND ") : "true";
}

/**
 * Stored results for replay, resume and backlog, read in short keyset pages (no connection is held
 * between pages, however slowly a client reads). Result ids follow commit order, which makes two
 * kinds of read exact: "everything up to the newest id now" (`newestId`) is a fixed set, and
 * "everything after id P" misses nothing committed later.
 */
export class ResultHistory {
  constructor(private readonly pool: Pool) {}

  async newestId(): Promise<string> {
    const { rows } = await this.pool.query<{ id: string | null }>("SELECT max(id)::text AS id FROM results");
    return rows[0]?.id ?? "0";
  }

  /** Results with start <= ts <= end and id <= upTo, in (ts, id) order. */
  async *byTime(f: HistoryFilter, start: number, end: number | undefined, upTo: string): AsyncGenerator<HistoryRow[]> {
    let after: { ts: number; id: string } | null = null;
    for (;;) {
      const params: unknown[] = [];
      let sql = `SELECT ${SERVED} FROM results WHERE ${where(f, params)}`;
      params.push(start);
      sql += ` AND ts >= to_timestamp($${params.length})`;
      if (end !== undefined) {
        params.push(end);
        sql += ` AND ts <= to_timestamp($${params.length})`;
      }
      params.push(upTo);
      sql += ` AND id <= $${params.length}`;
      if (after) {
        params.push(after.ts, after.id);
        sql += ` AND (ts, id) > (to_timestamp($${params.length - 1}), $${params.length}::bigint)`;
      }
      sql += ` ORDER BY results.ts, results.id LIMIT ${PAGE}`;
      const { rows } = await this.pool.query<Row>(sql, params);
      if (rows.length === 0) return;
      const page = rows.map(toRow);
      yield page;
      const last = page[page.length - 1]!;
      after = { ts: last.ts, id: last.id };
      if (rows.length < PAGE) return;
    }
  }

  /** Results with id > afterId (and ts >= minTs when given), in id (commit) order, until none is left. */
  async *afterId(f: HistoryFilter, afterId: string, minTs?: number): AsyncGenerator<HistoryRow[]> {
    let after = afterId;
    for (;;) {
      const params: unknown[] = [];
      let sql = `SELECT ${SERVED} FROM results WHERE ${where(f, params)}`;
      params.push(after);
      sql += ` AND id > $${params.length}`;
      if (minTs !== undefined) {
        params.push(minTs);
        sql += ` AND ts >= to_timestamp($${params.length})`;
      }
      sql += ` ORDER BY results.id LIMIT ${PAGE}`;
      const { rows } = await this.pool.query<Row>(sql, params);
      if (rows.length === 0) return;
      const page = rows.map(toRow);
      yield page;
      after = page[page.length - 1]!.id;
      if (rows.length < PAGE) return;
    }
  }
}
