import type { Pool } from "pg";
import type { ListOrder } from "./catalog.js";
import type { Prisma, PrismaClient } from "./generated/prisma/client.js";
import { createPrismaClient } from "./prisma.js";

export interface ProbePrefix {
  family: 4 | 6;
  prefix: string;
}

export interface ProbeFilter {
  countryCode?: string;
  asn?: number;
  asnV4?: number;
  asnV6?: number;
  /** Probes whose prefix (of the family) is this one or whose address is in it; every one of them. */
  prefixes?: ProbePrefix[];
  /** Probes within `km` of the point. */
  radius?: { latitude: number; longitude: number; km: number };
  statuses?: number[];
  /** Probes with every one of these tags. */
  tags?: string[];
  isAnchor?: boolean;
  isPublic?: boolean;
  idIn?: number[];
  idGt?: number;
  idGte?: number;
  idLt?: number;
  idLte?: number;
  order: ListOrder[];
  limit: number;
  offset: number;
}

/** Sort keys of the probe list, by API field name. */
export const PROBE_SORT_FIELDS = {
  id: "id", asn_v4: "asnV4", asn_v6: "asnV6", country_code: "countryCode", status: "status", is_anchor: "isAnchor",
  is_public: "isPublic", first_connected: "firstConnected", last_connected: "lastConnected",
} as const;

// Haversine distance in km from each probe to the point ($2 latitude, $3 longitude).
const WITHIN_RADIUS = `
  SELECT id FROM probes WHERE latitude IS NOT NULL AND longitude IS NOT NULL
    AND 2 * 6371 * asin(sqrt(power(sin(radians(latitude - $2) / 2), 2)
        + cos(radians($2)) * cos(radians(latitude)) * power(sin(radians(longitude - $3) / 2), 2))) <= $1`;

const IN_PREFIX = (family: 4 | 6) => `
  SELECT id FROM probes WHERE prefix_v${family} = $1 OR address_v${family}::inet <<= $1::inet`;

/** A probe with its tags and the seconds it has been connected in all. */
export interface ProbeRecord {
  id: number;
  addressV4: string | null;
  addressV6: string | null;
  prefixV4: string | null;
  prefixV6: string | null;
  asnV4: number | null;
  asnV6: number | null;
  countryCode: string | null;
  latitude: number | null;
  longitude: number | null;
  status: number;
  statusSince: Date | null;
  isAnchor: boolean;
  isPublic: boolean;
  firstConnected: Date | null;
  lastConnected: Date | null;
  description: string;
  firmware: number | null;
  tags: string[];
  totalUptime: number;
}

const PROBE_FIELDS = {
  id: true, addressV4: true, addressV6: true, prefixV4: true, prefixV6: true, asnV4: true, asnV6: true,
  countryCode: true, latitude: true, longitude: true, status: true, statusSince: true, isAnchor: true,
  isPublic: true, firstConnected: true, lastConnected: true, description: true, firmware: true,
  tags: { select: { tag: true } },
} as const;

/** Connected time per probe, from its connect/disconnect events (an open connection counts up to now). */
const UPTIME = `
  SELECT prb_id, COALESCE(sum(extract(epoch FROM (COALESCE(next_at, now()) - at))), 0)::bigint AS seconds
  FROM (SELECT prb_id, event, at, lead(at) OVER (PARTITION BY prb_id ORDER BY at, id) AS next_at
        FROM probe_status_events WHERE prb_id = ANY($1::int[])) e
  WHERE event = 'connect' GROUP BY prb_id`;

/** The probes of the REST API v2: Prisma for the filtered reads, SQL for the uptime sums. */
export class ProbeDirectory {
  private readonly prisma: PrismaClient;

  constructor(private readonly pool: Pool) {
    this.prisma = createPrismaClient(pool);
  }

  async list(f: ProbeFilter): Promise<{ count: number; probes: ProbeRecord[] }> {
    const where = whereOf(f, await this.placed(f));
    const orderBy = [...f.order, { field: "id", descending: f.order.at(-1)?.descending ?? false }].map(
      (o) => ({ [PROBE_SORT_FIELDS[o.field as keyof typeof PROBE_SORT_FIELDS] ?? "id"]: o.descending ? "desc" : "asc" }),
    ) as Prisma.ProbeOrderByWithRelationInput[];
    const [count, rows] = await Promise.all([
      this.prisma.probe.count({ where }),
      this.prisma.probe.findMany({
        where,
        select: PROBE_FIELDS,
        orderBy,
        take: f.limit,
        skip: f.offset,
      }),
    ]);
    return { count, probes: await this.withUptime(rows) };
  }

  /** For each of the radius and prefix filters asked for, the ids of the probes it admits (SQL: distances, address ranges). */
  private async placed(f: ProbeFilter): Promise<number[][]> {
    const sets: Promise<number[]>[] = [];
    const ids = async (sql: string, params: unknown[]) => (await this.pool.query<{ id: number }>(sql, params)).rows.map((r) => r.id);
    if (f.radius) sets.push(ids(WITHIN_RADIUS, [f.radius.km, f.radius.latitude, f.radius.longitude]));
    for (const p of f.prefixes ?? []) sets.push(ids(IN_PREFIX(p.family), [p.prefix]));
    return Promise.all(sets);
  }

  async get(id: number): Promise<ProbeRecord | null> {
    const row = await this.prisma.probe.findUnique({ where: { id }, select: PROBE_FIELDS });
    return row ? ((await this.withUptime([row]))[0] ?? null) : null;
  }

  /**
   * The measurements a probe takes part in: assigned to it (now or before), or that it sent results
   * to in the last `lookbackDays` (measurements fed without an assignment, like imported ones).
   */
  async measurementIds(prbId: number, lookbackDays = 30): Promise<number[]> {
    const { rows } = await this.pool.query<{ msm_id: number }>(
      `SELECT msm_id FROM measurement_probes WHERE prb_id = $1
       UNION
       SELECT DISTINCT msm_id FROM results WHERE prb_id = $1 AND ts > now() - make_interval(days => $2)`,
      [prbId, lookbackDays],
    );
    return rows.map((r) => r.msm_id);
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
  }

  private async withUptime(rows: (Omit<ProbeRecord, "tags" | "totalUptime"> & { tags: { tag: string }[] })[]): Promise<ProbeRecord[]> {
    const { rows: uptime } = await this.pool.query<{ prb_id: number; seconds: string }>(UPTIME, [rows.map((r) => r.id)]);
    const seconds = new Map(uptime.map((u) => [u.prb_id, Number(u.seconds)]));
    return rows.map((r) => ({
      ...r,
      countryCode: r.countryCode?.trim() ?? null,
      tags: r.tags.map((t) => t.tag),
      totalUptime: seconds.get(r.id) ?? 0,
    }));
  }
}

function whereOf(f: ProbeFilter, placed: number[][]): Prisma.ProbeWhereInput {
  const and: Prisma.ProbeWhereInput[] = [];
  if (f.countryCode) and.push({ countryCode: f.countryCode.toUpperCase() });
  if (f.asn !== undefined) and.push({ OR: [{ asnV4: f.asn }, { asnV6: f.asn }] });
  if (f.asnV4 !== undefined) and.push({ asnV4: f.asnV4 });
  if (f.asnV6 !== undefined) and.push({ asnV6: f.asnV6 });
  for (const ids of placed) and.push({ id: { in: ids } });
  if (f.statuses) and.push({ status: { in: f.statuses } });
  for (const tag of f.tags ?? []) and.push({ tags: { some: { tag } } });
  if (f.isAnchor !== undefined) and.push({ isAnchor: f.isAnchor });
  if (f.isPublic !== undefined) and.push({ isPublic: f.isPublic });
  if (f.idIn) and.push({ id: { in: f.idIn } });
  const id: Prisma.IntFilter = {};
  if (f.idGt !== undefined) id.gt = f.idGt;
  if (f.idGte !== undefined) id.gte = f.idGte;
  if (f.idLt !== undefined) id.lt = f.idLt;
  if (f.idLte !== undefined) id.lte = f.idLte;
  if (Object.keys(id).length > 0) and.push({ id });
  return { AND: and };
}
