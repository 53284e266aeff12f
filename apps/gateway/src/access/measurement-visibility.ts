import type { Pool } from "@probestream/db";

/**
 * Who may read a measurement: null for public, else the owner's user id (0: private with no owner,
 * readable by nobody). Unknown measurements are public: results of a measurement not defined
 * (yet) are not anyone's secret.
 */
export async function visibilityOf(pool: Pool, msmId: number): Promise<number | null> {
  const { rows } = await pool.query<{ private_to: number | null }>(
    "SELECT CASE WHEN is_public THEN NULL ELSE COALESCE(owner_id, 0) END AS private_to FROM measurements WHERE id = $1",
    [msmId],
  );
  return rows[0]?.private_to ?? null;
}

/** SQL condition on `msm_id` limiting rows to measurements the caller may read ($n is the caller's user id). */
export function readableMeasurementsSql(param: string): string {
  return `msm_id IN (SELECT id FROM measurements WHERE is_public OR (owner_id = ${param}))`;
}
