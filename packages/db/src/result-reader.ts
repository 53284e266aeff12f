import type { Pool } from "pg";
import QueryStream from "pg-query-stream";
import { PassThrough, type Readable } from "node:stream";
import { MEASUREMENT_PRIVATE_TO_SQL, SERVED_JSON_SQL } from "./result-log.js";

export interface ResultQuery {
  msmId: number;
  /** Unix seconds, inclusive. */
  start?: number;
  /** Unix seconds, inclusive. */
  stop?: number;
  probeIds?: number[];
}

export interface LatestQuery {
  msmId: number;
  probeIds?: number[];
  /** Newest results per probe, 1..10. */
  versions?: number;
  lookbackDays?: number;
}

/** Rows carry the served JSON only: the body is never parsed on the read path. */
const SERVED_JSON = `${SERVED_JSON_SQL} AS json`;

function rangeFilter(q: ResultQuery): { where: string; params: unknown[] } {
  const params: unknown[] = [q.msmId];
  let where = "msm_id = $1";
  if (q.start !== undefined) {
    params.push(q.start);
    where += ` AND ts >= to_timestamp($${params.length})`;
  }
  if (q.stop !== undefined) {
    params.push(q.stop);
    where += ` AND ts <= to_timestamp($${params.length})`;
  }
  if (q.probeIds && q.probeIds.length > 0) {
    params.push(q.probeIds);
    where += ` AND prb_id = ANY($${params.length}::int[])`;
  }
  return { where, params };
}

/** The user-facing read path out of Postgres: stored results, served as stored. */
export class ResultReader {
  constructor(private readonly pool: Pool) {}

  /**
   * Who may read a measurement's results: `{privateTo: null}` when public, else its owner's user
   * id (0: nobody); undefined when the measurement does not exist.
   */
  async readersOf(msmId: number): Promise<{ privateTo: number | null } | undefined> {
    const { rows } = await this.pool.query<{ private_to: number | null }>(
      `SELECT ${MEASUREMENT_PRIVATE_TO_SQL} AS private_to FROM measurements m WHERE m.id = $1`,
      [msmId],
    );
    return rows[0] && { privateTo: rows[0].private_to };
  }

  /**
   * The probes a download is limited to: `listed` (all when undefined), narrowed to anchors and/or
   * public probes; undefined for all probes. An empty list means no probe qualifies.
   */
  async scopedProbeIds(listed: number[] | undefined, anchorsOnly: boolean, publicOnly: boolean): Promise<number[] | undefined> {
    if (!anchorsOnly && !publicOnly) return listed;
    const { rows } = await this.pool.query<{ id: number }>(
      `SELECT id FROM probes WHERE ($1::int[] IS NULL OR id = ANY($1::int[]))
         AND (NOT $2 OR is_anchor) AND (NOT $3 OR is_public)`,
      [listed ?? null, anchorsOnly, publicOnly],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Streams a measurement's results in timestamp order through a server-side cursor, so memory
   * stays flat whatever the size. Each chunk is a `{json}` row, one result's served JSON. The pool
   * connection is held until the stream ends or is destroyed.
   */
  async stream(q: ResultQuery): Promise<Readable> {
    const { where, params } = rangeFilter(q);
    const client = await this.pool.connect();
    const rows = client.query(
      new QueryStream(`SELECT ${SERVED_JSON} FROM results WHERE ${where} ORDER BY ts, id`, params, {
        batchSize: 500,
      }),
    );
    // The cursor's own stream cannot end once its connection is gone (destroying it waits for the
    // cursor to close on the dead connection, for ever): readers get this stream instead, which ends
    // with an error as soon as the connection does, so that a download in progress is cut, not hung.
    const out = new PassThrough({ objectMode: true, highWaterMark: 16 });
    let released = false;
    const finish = (err?: Error) => {
      if (released) return;
      released = true;
      client.connection.off("end", lost);
      client.release(err);
      if (err) out.destroy(err);
    };
    const lost = () => finish(new Error("the connection to the database ended during the download"));
    client.connection.once("end", lost);
    rows.on("error", (err) => finish(err));
    rows.on("close", () => finish());
    // A reader that goes away early closes the cursor; the connection is released once it is closed.
    out.on("close", () => {
      if (!released) rows.destroy();
    });
    rows.pipe(out);
    return out;
  }

  /** The newest `versions` results of each probe (default 1), newest first per probe. */
  async latest(q: LatestQuery): Promise<string[]> {
    const { where, params } = rangeFilter({ msmId: q.msmId, probeIds: q.probeIds });
    let clause = where;
    if (q.lookbackDays !== undefined) {
      params.push(q.lookbackDays);
      clause += ` AND ts >= now() - make_interval(days => $${params.length})`;
    }
    params.push(q.versions ?? 1);
    const { rows } = await this.pool.query<{ json: string }>(
      `SELECT json FROM (
         SELECT prb_id, ts, id, ${SERVED_JSON},
                row_number() OVER (PARTITION BY prb_id ORDER BY ts DESC, id DESC) AS n
         FROM results WHERE ${clause}
       ) latest WHERE n <= $${params.length} ORDER BY prb_id, ts DESC, id DESC`,
      params,
    );
    return rows.map((r) => r.json);
  }
}
