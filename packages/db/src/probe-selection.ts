import type { Pool, PoolClient } from "pg";
import { ProbeStatusId } from "@probestream/types";

type Queryable = Pool | PoolClient;

/** A probe source as stored: `{requested, type, value, tags?}` (RIPE Atlas shape). */
export interface StoredProbeSource {
  requested: number;
  type: string;
  value: string | number;
  tags?: { include?: string[]; exclude?: string[] };
}

/**
 * RIPE Atlas areas by probe position: West is the Americas; the Central areas span Europe and
 * Africa (split at 30° N), the East areas Asia and Oceania (split at the equator). Probes without
 * a position count only for WW.
 */
const AREAS: Record<string, string> = {
  WW: "true",
  West: "longitude < -30",
  "North-Central": "longitude >= -30 AND longitude < 60 AND latitude >= 30",
  "South-Central": "longitude >= -30 AND longitude < 60 AND latitude < 30",
  "North-East": "longitude >= 60 AND latitude >= 0",
  "South-East": "longitude >= 60 AND latitude < 0",
};

export function listedProbeIds(value: string | number): number[] {
  return String(value).split(",").map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
}

function sourceCondition(source: StoredProbeSource, params: unknown[]): string {
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  switch (source.type) {
    case "area": {
      const area = AREAS[String(source.value)];
      if (area === undefined) throw new Error(`unknown area ${String(source.value)}`);
      return area;
    }
    case "country":
      return `country_code = upper(${param(String(source.value))})`;
    case "asn": {
      const asn = param(Number(source.value));
      return `(asn_v4 = ${asn} OR asn_v6 = ${asn})`;
    }
    case "prefix": {
      const prefix = param(String(source.value));
      return `(address_v4::inet <<= ${prefix}::cidr OR address_v6::inet <<= ${prefix}::cidr
               OR prefix_v4::cidr <<= ${prefix}::cidr OR prefix_v6::cidr <<= ${prefix}::cidr)`;
    }
    case "probes":
      return `id = ANY(${param(listedProbeIds(source.value))}::int[])`;
    case "msm":
      return `id IN (SELECT prb_id FROM measurement_probes WHERE msm_id = ${param(Number(source.value))} AND removed_at IS NULL)`;
    default:
      throw new Error(`unknown probe source type ${source.type}`);
  }
}

function tagConditions(source: StoredProbeSource, params: unknown[]): string {
  let sql = "";
  const include = source.tags?.include ?? [];
  const exclude = source.tags?.exclude ?? [];
  if (include.length > 0) {
    params.push(include);
    sql += ` AND (SELECT count(*) FROM probe_tags t WHERE t.prb_id = probes.id AND t.tag = ANY($${params.length}::text[])) = ${include.length}`;
  }
  if (exclude.length > 0) {
    params.push(exclude);
    sql += ` AND NOT EXISTS (SELECT 1 FROM probe_tags t WHERE t.prb_id = probes.id AND t.tag = ANY($${params.length}::text[]))`;
  }
  return sql;
}

/**
 * Probes that can measure over an address family: IPv6 measurements go only to probes with IPv6
 * (an address or prefix reported, or IPv6 results seen); IPv4 ones to all but the probes known to
 * have only IPv6, since a probe that has not reported its addresses yet is IPv4 in practice.
 */
function familyCondition(af: number | null): string {
  const v4 = `(address_v4 IS NOT NULL OR prefix_v4 IS NOT NULL OR EXISTS (SELECT 1 FROM probe_tags t WHERE t.prb_id = probes.id AND t.tag = 'system-ipv4-capable'))`;
  const v6 = `(address_v6 IS NOT NULL OR prefix_v6 IS NOT NULL OR EXISTS (SELECT 1 FROM probe_tags t WHERE t.prb_id = probes.id AND t.tag = 'system-ipv6-capable'))`;
  if (af === 6) return ` AND ${v6}`;
  if (af === 4) return ` AND (${v4} OR NOT ${v6})`;
  return "";
}

/**
 * Picks up to `requested` probes of a source that do not already run `msmId` and can measure over
 * its address family `af`: connected ones first, then the others, at random within each group so
 * that load spreads over the fleet.
 */
export async function selectProbes(db: Queryable, msmId: number, source: StoredProbeSource, af: number | null): Promise<number[]> {
  const params: unknown[] = [msmId];
  const where = sourceCondition(source, params) + tagConditions(source, params) + familyCondition(af);
  params.push(source.requested);
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM probes
     WHERE (${where}) AND status <> ${ProbeStatusId.Abandoned}
       AND id NOT IN (SELECT prb_id FROM measurement_probes WHERE msm_id = $1 AND removed_at IS NULL)
     ORDER BY (status = ${ProbeStatusId.Connected}) DESC, random()
     LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => r.id);
}

/** Makes probes run a measurement (again, if they had been removed); returns how many were added. */
export async function assignProbes(db: Queryable, msmId: number, prbIds: number[]): Promise<number> {
  if (prbIds.length === 0) return 0;
  const { rowCount } = await db.query(
    `INSERT INTO measurement_probes (msm_id, prb_id) SELECT $1, unnest($2::int[])
     ON CONFLICT (msm_id, prb_id) DO UPDATE SET added_at = now(), removed_at = NULL
     WHERE measurement_probes.removed_at IS NOT NULL`,
    [msmId, prbIds],
  );
  return rowCount ?? 0;
}

/** Stops probes running a measurement; returns the ones that were running it. */
export async function unassignProbes(db: Queryable, msmId: number, prbIds?: number[]): Promise<number[]> {
  const { rows } = await db.query<{ prb_id: number }>(
    `UPDATE measurement_probes SET removed_at = now()
     WHERE msm_id = $1 AND removed_at IS NULL AND ($2::int[] IS NULL OR prb_id = ANY($2::int[]))
     RETURNING prb_id`,
    [msmId, prbIds ?? null],
  );
  return rows.map((r) => r.prb_id);
}
