import type { Pool, PoolClient } from "pg";
import { SYSTEM_TAG_EVIDENCE_SECONDS, SYSTEM_TAG_PREFIX } from "@probestream/types";

type Queryable = Pool | PoolClient;

/** When a probe's results last showed each capability working (Unix seconds). */
export interface ProbeEvidence {
  ipv4WorksAt?: number;
  ipv6WorksAt?: number;
  resolvesAAt?: number;
  resolvesAaaaAt?: number;
}

/**
 * Records what probes' results showed, each time only moving forward: one statement for all the
 * probes of a flush, so that tags follow the fleet without a write per result.
 */
export async function recordProbeEvidence(db: Queryable, evidence: ReadonlyMap<number, ProbeEvidence>): Promise<void> {
  if (evidence.size === 0) return;
  const ids: number[] = [];
  const columns: (number | null)[][] = [[], [], [], []];
  for (const [prbId, e] of evidence) {
    ids.push(prbId);
    [e.ipv4WorksAt, e.ipv6WorksAt, e.resolvesAAt, e.resolvesAaaaAt].forEach((t, i) => columns[i]!.push(t ?? null));
  }
  const at = (i: number) => `to_timestamp(t.c${i})`;
  await db.query(
    `INSERT INTO probe_evidence AS e (prb_id, ipv4_works_at, ipv6_works_at, resolves_a_at, resolves_aaaa_at)
     SELECT t.prb_id, ${at(1)}, ${at(2)}, ${at(3)}, ${at(4)}
     FROM unnest($1::int[], $2::float8[], $3::float8[], $4::float8[], $5::float8[]) AS t(prb_id, c1, c2, c3, c4)
     WHERE EXISTS (SELECT 1 FROM probes p WHERE p.id = t.prb_id)
     ON CONFLICT (prb_id) DO UPDATE SET
       ipv4_works_at = GREATEST(e.ipv4_works_at, EXCLUDED.ipv4_works_at),
       ipv6_works_at = GREATEST(e.ipv6_works_at, EXCLUDED.ipv6_works_at),
       resolves_a_at = GREATEST(e.resolves_a_at, EXCLUDED.resolves_a_at),
       resolves_aaaa_at = GREATEST(e.resolves_aaaa_at, EXCLUDED.resolves_aaaa_at)`,
    [ids, ...columns],
  );
}

/**
 * Brings the system tags of some probes (all of them without `prbIds`) in line with what they
 * reported and what their results showed: each rule below gives one tag of `SystemTags`
 * (packages/types), added when it holds and removed when it no longer does. Evidence older than
 * `SYSTEM_TAG_EVIDENCE_SECONDS` no longer counts, so a periodic refresh lets "works" tags lapse.
 */
export async function refreshSystemTags(db: Queryable, prbIds?: number[]): Promise<void> {
  await db.query(
    `WITH scope AS (
       SELECT p.id, p.address_v4, p.prefix_v4, p.address_v6, p.prefix_v6, p.is_anchor,
              e.ipv4_works_at, e.ipv6_works_at, e.resolves_a_at, e.resolves_aaaa_at
       FROM probes p LEFT JOIN probe_evidence e ON e.prb_id = p.id
       WHERE $1::int[] IS NULL OR p.id = ANY($1::int[])
     ), recent AS (SELECT now() - $2 * interval '1 second' AS since),
     desired AS (
       SELECT s.id AS prb_id, t.tag
       FROM scope s CROSS JOIN recent r CROSS JOIN LATERAL (VALUES
         ('system-ipv4-capable', s.address_v4 IS NOT NULL OR s.prefix_v4 IS NOT NULL OR s.ipv4_works_at IS NOT NULL),
         ('system-ipv6-capable', s.address_v6 IS NOT NULL OR s.prefix_v6 IS NOT NULL OR s.ipv6_works_at IS NOT NULL),
         ('system-ipv4-works', s.ipv4_works_at > r.since),
         ('system-ipv6-works', s.ipv6_works_at > r.since),
         ('system-ipv4-rfc1918', s.address_v4 IS NOT NULL AND s.address_v4::inet <<= ANY('{10.0.0.0/8,172.16.0.0/12,192.168.0.0/16}'::cidr[])),
         ('system-resolves-a-correctly', s.resolves_a_at > r.since),
         ('system-resolves-aaaa-correctly', s.resolves_aaaa_at > r.since),
         ('system-anchor', s.is_anchor)
       ) AS t(tag, holds)
       WHERE t.holds
     ), removed AS (
       DELETE FROM probe_tags pt USING scope s
       WHERE pt.prb_id = s.id AND starts_with(pt.tag, $3)
         AND NOT EXISTS (SELECT 1 FROM desired d WHERE d.prb_id = pt.prb_id AND d.tag = pt.tag)
     )
     INSERT INTO probe_tags (prb_id, tag) SELECT prb_id, tag FROM desired ON CONFLICT DO NOTHING`,
    [prbIds ?? null, SYSTEM_TAG_EVIDENCE_SECONDS, SYSTEM_TAG_PREFIX],
  );
}

/** Replaces a probe's user tags (its system tags stay the platform's). */
export async function setUserTags(db: Queryable, prbId: number, tags: string[]): Promise<void> {
  const own = tags.filter((t) => !t.startsWith(SYSTEM_TAG_PREFIX));
  await db.query(
    `WITH removed AS (
       DELETE FROM probe_tags WHERE prb_id = $1 AND NOT starts_with(tag, $3) AND NOT (tag = ANY($2::text[]))
     )
     INSERT INTO probe_tags (prb_id, tag) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
    [prbId, own, SYSTEM_TAG_PREFIX],
  );
}
