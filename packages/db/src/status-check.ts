import type { Pool } from "pg";
import { positionParts } from "./result-log.js";

/** One of a probe's newest results of a measurement, as a status check reads it. */
export interface NewestResultRow {
  prb_id: number;
  /** Storage id: ties of timestamp go by it. */
  seq: number;
  /** The result's JSON as the probe sent it. */
  body: string;
  country_code: string | null;
}

/**
 * The newest `lookback` results (by timestamp, then id) of each probe that reported results for the
 * measurement; with `upTo`, among the results at or before that stream position (the state a
 * webhook's alert fold had there). The probes come from a skip scan over (msm_id, prb_id), each
 * probe's results from a backward scan of the same index: cost follows probes × lookback, not the
 * measurement's history.
 */
export async function newestResultsPerProbe(pool: Pool, msmId: number, lookback: number, upTo?: string): Promise<NewestResultRow[]> {
  const params: unknown[] = [msmId, lookback];
  let bound = "";
  if (upTo !== undefined) {
    params.push(...positionParts(upTo));
    bound = "AND (r.tx, r.id) <= ($3::xid8, $4::bigint)";
  }
  const { rows } = await pool.query<{ prb_id: number; seq: string; body: string; country_code: string | null }>(
    `WITH RECURSIVE reporting AS (
       (SELECT prb_id FROM results WHERE msm_id = $1 ORDER BY prb_id LIMIT 1)
       UNION ALL
       SELECT (SELECT r.prb_id FROM results r WHERE r.msm_id = $1 AND r.prb_id > reporting.prb_id ORDER BY r.prb_id LIMIT 1)
       FROM reporting WHERE reporting.prb_id IS NOT NULL
     )
     SELECT p.prb_id, newest.id AS seq, newest.body::text AS body, pr.country_code
     FROM reporting p
     CROSS JOIN LATERAL (
       SELECT id, body FROM results r WHERE r.msm_id = $1 AND r.prb_id = p.prb_id ${bound} ORDER BY ts DESC, id DESC LIMIT $2
     ) newest
     LEFT JOIN probes pr ON pr.id = p.prb_id
     WHERE p.prb_id IS NOT NULL`,
    params,
  );
  return rows.map((r) => ({ prb_id: r.prb_id, seq: Number(r.seq), body: r.body, country_code: r.country_code?.trim() ?? null }));
}

/** The countries of probes (null where unknown), for the `source` of probes first seen on the live path. */
export async function probeCountries(pool: Pool, prbIds: number[]): Promise<Map<number, string | null>> {
  const { rows } = await pool.query<{ id: number; country_code: string | null }>("SELECT id, country_code FROM probes WHERE id = ANY($1::int[])", [prbIds]);
  return new Map(rows.map((r) => [r.id, r.country_code?.trim() ?? null]));
}
