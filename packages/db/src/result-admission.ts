import type { Pool } from "pg";

/** Ids from here on are drawn by the API for measurements users define (measurements_id_seq). */
export const FIRST_DEFINED_MEASUREMENT_ID = 10_000_000;

/**
 * Which of these measurements a probe may report results for. A measurement a user defined (it has
 * an owner) takes results only from the probes it was assigned to, now or before, so that nobody
 * else can write into a user's data. Measurements nobody owns (the demo's, ids imported from
 * elsewhere, or ids first seen through results) take results from any registered probe, unless
 * `openToAll` is false. An unknown id in the API's range is refused: the API will draw it.
 */
export async function reportableMeasurements(
  pool: Pool,
  prbId: number,
  msmIds: readonly number[],
  openToAll: boolean,
): Promise<Map<number, boolean>> {
  const { rows } = await pool.query<{ id: number; owned: boolean; assigned: boolean }>(
    `SELECT m.id, m.owner_id IS NOT NULL AS owned,
            EXISTS (SELECT 1 FROM measurement_probes mp WHERE mp.msm_id = m.id AND mp.prb_id = $2) AS assigned
     FROM measurements m WHERE m.id = ANY($1::int[])`,
    [msmIds, prbId],
  );
  const known = new Map(rows.map((r) => [r.id, r]));
  return new Map(
    msmIds.map((id) => {
      const m = known.get(id);
      if (!m) return [id, openToAll && id < FIRST_DEFINED_MEASUREMENT_ID];
      return [id, m.assigned || (!m.owned && openToAll)];
    }),
  );
}
