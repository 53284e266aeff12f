import type { Pool } from "pg";
import {
  FINAL_SQL, MEASUREMENT_PRIVATE_TO_SQL, POSITION_SQL, PRIVATE_TO_SQL, SERVED_JSON_SQL, afterPositionSql,
  logPageReach, logPageSql, newestFinalPosition, positionParts, readableBySql, type LogPageHead,
} from "./result-log.js";

/** A stored result as the stream sends it: its position and its served JSON. */
export interface HistoryRow {
  id: string;
  ts: number;
  json: string;
  /** Owner of its private measurement, null when public. */
  privateTo: number | null;
}

/** The indexed part of a subscription, applied in SQL; the rest is filtered by the gateway. */
export interface HistoryFilter {
  msm?: number;
  prb?: number;
  type?: string;
  /** Caller's user id when it may read its private measurements, else null. */
  readerId: number | null;
  /** Every measurement, private ones included (the gateway routes them by access itself). */
  everything?: boolean;
}

const PAGE = 1000;

/**
 * The query's select list and conditions. Who may read a row (PRIVATE_TO_SQL's rule) is a lookup
 * of its measurement; for one measurement it is looked up once per query rather than per row
 * (three lookups a row took three quarters of a replay page's time, measured here).
 */
function selection(f: HistoryFilter, params: unknown[]): { served: string; where: string } {
  const parts: string[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    parts.push(sql(`$${params.length}`));
  };
  if (f.msm !== undefined) add((p) => `msm_id = ${p}`, f.msm);
  const privateTo = f.msm !== undefined ? `(SELECT ${MEASUREMENT_PRIVATE_TO_SQL} FROM measurements m WHERE m.id = $${params.length})` : PRIVATE_TO_SQL;
  if (f.prb !== undefined) add((p) => `prb_id = ${p}`, f.prb);
  if (f.type !== undefined) add((p) => `type = ${p}`, f.type);
  if (!f.everything) add((p) => readableBySql(privateTo, p), f.readerId);
  // Output names differ from the columns: ORDER BY must sort by the columns, not by these texts.
  const served = `${POSITION_SQL} AS pos, extract(epoch FROM ts)::bigint AS seconds, ${SERVED_JSON_SQL} AS json, ${privateTo} AS private_to`;
  return { served, where: parts.length > 0 ? parts.join(" AND ") : "true" };
}

interface Row {
  pos: string;
  seconds: string;
  json: string;
  private_to: number | null;
}

const toRow = (r: Row): HistoryRow => ({ id: r.pos, ts: Number(r.seconds), json: r.json, privateTo: r.private_to });

/**
 * Stored results for the stream's replay, resume, backlog and gap filling, read in short keyset
 * pages (no connection is held between pages, however slowly a client reads). Only the final part
 * of the committed log is read (result-log.ts), which makes two kinds of read exact: "everything up
 * to the newest final position now" (`newestPosition`) is a fixed set, and "everything after
 * position P" misses nothing committed later, in the order the relay publishes it.
 */
export class StreamHistory {
  constructor(private readonly pool: Pool) {}

  newestPosition(): Promise<string> {
    return newestFinalPosition(this.pool);
  }

  /** Results with start <= ts <= end and position <= upTo, in (ts, position) order. */
  byTime(f: HistoryFilter, start: number, end: number | undefined, upTo: string): AsyncGenerator<HistoryRow[]> {
    const [upToTx, upToId] = positionParts(upTo);
    return this.pages((after) => {
      const params: unknown[] = [];
      const { served, where } = selection(f, params);
      let sql = `SELECT ${served} FROM results WHERE ${where}`;
      params.push(start);
      sql += ` AND ts >= to_timestamp($${params.length})`;
      if (end !== undefined) {
        params.push(end);
        sql += ` AND ts <= to_timestamp($${params.length})`;
      }
      params.push(upToTx, upToId);
      sql += ` AND (tx, id) <= ($${params.length - 1}::xid8, $${params.length}::bigint)`;
      if (after) {
        const [tx, id] = positionParts(after.id);
        params.push(after.ts, tx, id);
        sql += ` AND (ts, tx, id) > (to_timestamp($${params.length - 2}), $${params.length - 1}::xid8, $${params.length}::bigint)`;
      }
      sql += ` ORDER BY results.ts, results.tx, results.id LIMIT ${PAGE}`;
      return { sql, params };
    });
  }

  /** Final results after a position (and with ts >= minTs when given), in log order, until none is left. */
  afterPosition(f: HistoryFilter, position: string, minTs?: number): AsyncGenerator<HistoryRow[]> {
    return this.pages((after) => {
      const params: unknown[] = [];
      const { served, where } = selection(f, params);
      let sql = `SELECT ${served} FROM results WHERE ${where}`;
      sql += ` AND ${afterPositionSql(after?.id ?? position, params)} AND ${FINAL_SQL}`;
      if (minTs !== undefined) {
        params.push(minTs);
        sql += ` AND ts >= to_timestamp($${params.length})`;
      }
      sql += ` ORDER BY results.tx, results.id LIMIT ${PAGE}`;
      return { sql, params };
    });
  }

  /**
   * What a webhook delivers next: up to `limit` final results after `position` that pass the
   * filter, in log order, with when each was stored, looked for among at most `span` rows of the log.
   * `upTo` is how far the log was looked at: the newest final position (read in the same snapshot)
   * or, when the span filled first, its last row; results up to it that are not in `rows` are not
   * the filter's, unless `rows` holds `limit` of them. `more`: the span filled before the horizon.
   */
  async logPage(f: HistoryFilter, position: string, limit: number, span: number): Promise<{ rows: (HistoryRow & { storedAtMs: number })[]; upTo: string; more: boolean }> {
    const params: unknown[] = [];
    const after = afterPositionSql(position, params);
    params.push(span);
    const spanParam = params.length;
    const { served, where: filter } = selection(f, params);
    params.push(limit);
    const { rows } = await this.pool.query<Row & { stored_ms: string } & LogPageHead>(
      logPageSql({
        table: "results", columns: "tx, id, msm_id, prb_id, type, ts, stored_at, body", after, spanParam,
        select: `${served}, (extract(epoch FROM stored_at) * 1000)::bigint AS stored_ms`, filter, limitParam: params.length,
      }),
      params,
    );
    const { upTo, more } = logPageReach(rows[0], span);
    const found = rows.filter((r) => r.pos !== null);
    return { rows: found.map((r) => ({ ...toRow(r), storedAtMs: Number(r.stored_ms) })), upTo, more };
  }

  /**
   * Keyset pages of `query` (given the last row of the page before, or null), each read while the
   * one before is being delivered: the client is never kept waiting for a round trip between pages.
   */
  private async *pages(query: (after: HistoryRow | null) => { sql: string; params: unknown[] }): AsyncGenerator<HistoryRow[]> {
    const read = async (after: HistoryRow | null): Promise<HistoryRow[]> => {
      const { sql, params } = query(after);
      return (await this.pool.query<Row>(sql, params)).rows.map(toRow);
    };
    let next: Promise<HistoryRow[]> | null = read(null);
    try {
      while (next) {
        const page: HistoryRow[] = await next;
        if (page.length === 0) return;
        next = page.length === PAGE ? read(page[page.length - 1]!) : null;
        // Read ahead but unawaited: its failure is raised when its turn comes, not as unhandled.
        next?.catch(() => undefined);
        // One turn of the event loop lets the pool send the read before the page is delivered, which
        // takes the loop for milliseconds: else PostgreSQL started on it only afterwards (measured
        // here: the replay waited for pages half of its time).
        if (next) await new Promise((resolve) => setImmediate(resolve));
        yield page;
      }
    } finally {
      // A consumer that stops early leaves the page read ahead to finish on its own.
      await next?.catch(() => undefined);
    }
  }
}
