import type { Pool } from "pg";
import { MEASUREMENT_COLUMNS, type MeasurementRow } from "./measurement-store.js";
import type { StoredProbeSource } from "./probe-selection.js";
import { createPrismaClient } from "./prisma.js";
import { MEASUREMENT_PRIVATE_TO_SQL, readableBySql } from "./result-log.js";

/** A measurement as the portal lists it. */
export interface MeasurementSummary {
  id: number;
  type: string;
  description: string;
  target: string | null;
  isPublic: boolean;
  status: number;
  resultCount: number;
  lastResultAt: Date | null;
}

/** A measurement the platform should have, e.g. the demo measurements created at start-up. */
export interface MeasurementDefinition {
  id: number;
  type: string;
  description: string;
  target?: string;
}

/** The portal's read model of measurements. */
export interface Catalog {
  /** Newest result first (measurements without results last), then by id. */
  listMeasurements(limit?: number): Promise<MeasurementSummary[]>;
  getMeasurement(id: number): Promise<MeasurementSummary | null>;
  /** Creates the measurements that are missing and updates the definition of those that exist. */
  ensureMeasurements(defs: MeasurementDefinition[]): Promise<void>;
  close(): Promise<void>;
}

const SUMMARY_FIELDS = {
  id: true,
  type: true,
  description: true,
  target: true,
  isPublic: true,
  status: true,
  resultCount: true,
  lastResultAt: true,
} as const;

type SummaryRow = Omit<MeasurementSummary, "resultCount"> & { resultCount: bigint };

function toSummary(row: SummaryRow): MeasurementSummary {
  return { ...row, resultCount: Number(row.resultCount) };
}

export function createCatalog(databaseUrl: string): Catalog {
  const prisma = createPrismaClient(databaseUrl);
  return {
    async listMeasurements(limit = 100) {
      const rows = await prisma.measurement.findMany({
        select: SUMMARY_FIELDS,
        orderBy: [{ lastResultAt: { sort: "desc", nulls: "last" } }, { id: "asc" }],
        take: limit,
      });
      return rows.map(toSummary);
    },

    async getMeasurement(id) {
      const row = await prisma.measurement.findUnique({ select: SUMMARY_FIELDS, where: { id } });
      return row ? toSummary(row) : null;
    },

    async ensureMeasurements(defs) {
      await prisma.$transaction(
        defs.map(({ id, type, description, target = null }) =>
          prisma.measurement.upsert({
            where: { id },
            create: { id, type, description, target },
            update: { type, description, target },
          }),
        ),
      );
    },

    close: () => prisma.$disconnect(),
  };
}

/** A list's order: field names of the API, each ascending or descending. */
export interface ListOrder {
  field: string;
  descending: boolean;
}

/** The filters, order and page of the REST API v2 measurement list. */
export interface MeasurementListFilter {
  /** The caller: sees public measurements and its own. */
  viewerId: number | null;
  mine?: boolean;
  /** Text in the description, target or target address (any case), or the whole id. */
  search?: string;
  types?: string[];
  statuses?: number[][];
  af?: number;
  target?: string;
  targetContains?: string;
  descriptionContains?: string;
  tags?: string[];
  isPublic?: boolean;
  isOneoff?: boolean;
  idIn?: number[];
  /** Comparisons on id, start_time and stop_time (Unix seconds for the times). */
  ranges: { field: "id" | "start_time" | "stop_time"; op: "gt" | "gte" | "lt" | "lte"; value: number }[];
  order: ListOrder[];
  limit: number;
  offset: number;
}

/** Sort keys of the measurement list, by API field name. */
export const MEASUREMENT_SORT_COLUMNS: Record<string, string> = {
  id: "m.id", type: "m.type", af: "m.af", status: "m.status", interval: "m.interval", is_oneoff: "m.is_oneoff",
  start_time: "m.start_time", stop_time: "m.stop_time", creation_time: "m.created_at",
  result_count: "m.result_count", last_result_time: "m.last_result_at",
};

const OPERATORS = { gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

/** Measurements as the REST API v2 lists them: filtered, ordered (id last, to be stable) and paged. */
export async function listMeasurements(pool: Pool, f: MeasurementListFilter): Promise<{ count: number; rows: MeasurementRow[] }> {
  const params: unknown[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // Who may see a measurement: the rule of its results (public, or its owner).
  const where: string[] = [readableBySql(MEASUREMENT_PRIVATE_TO_SQL, p(f.viewerId))];
  if (f.mine) where.push(`m.owner_id = ${p(f.viewerId)}`);
  if (f.search !== undefined) {
    const text = p(f.search.toLowerCase());
    where.push(`(strpos(lower(m.description), ${text}) > 0 OR strpos(lower(COALESCE(m.target, '')), ${text}) > 0
                 OR strpos(lower(COALESCE(m.target_ip, '')), ${text}) > 0 OR m.id::text = ${text})`);
  }
  if (f.types) where.push(`m.type = ANY(${p(f.types)}::text[])`);
  for (const statuses of f.statuses ?? []) where.push(`m.status = ANY(${p(statuses)}::int[])`);
  if (f.af !== undefined) where.push(`m.af = ${p(f.af)}`);
  if (f.target !== undefined) where.push(`m.target = ${p(f.target)}`);
  if (f.targetContains !== undefined) where.push(`strpos(m.target, ${p(f.targetContains)}) > 0`);
  if (f.descriptionContains !== undefined) where.push(`strpos(m.description, ${p(f.descriptionContains)}) > 0`);
  if (f.tags) where.push(`m.tags @> ${p(f.tags)}::text[]`);
  if (f.isPublic !== undefined) where.push(`m.is_public = ${p(f.isPublic)}`);
  if (f.isOneoff !== undefined) where.push(`m.is_oneoff = ${p(f.isOneoff)}`);
  if (f.idIn) where.push(`m.id = ANY(${p(f.idIn)}::int[])`);
  for (const r of f.ranges) {
    const column = r.field === "id" ? "m.id" : `m.${r.field}`;
    const value = r.field === "id" ? p(r.value) : `to_timestamp(${p(r.value)})`;
    where.push(`${column} ${OPERATORS[r.op]} ${value}`);
  }
  const clause = where.join(" AND ");
  const order = [...f.order, { field: "id", descending: f.order.at(-1)?.descending ?? false }]
    .map((o) => `${MEASUREMENT_SORT_COLUMNS[o.field] ?? "m.id"} ${o.descending ? "DESC NULLS LAST" : "ASC NULLS FIRST"}`);
  const count = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM measurements m WHERE ${clause}`, params);
  // The page's ids first: the columns (a participant count each) are made for its rows only, not
  // for every row the offset skips.
  const { rows } = await pool.query<MeasurementRow>(
    `SELECT ${MEASUREMENT_COLUMNS} FROM measurements m
     WHERE m.id IN (SELECT m.id FROM measurements m WHERE ${clause} ORDER BY ${order.join(", ")} LIMIT ${p(f.limit)} OFFSET ${p(f.offset)})
     ORDER BY ${order.join(", ")}`,
    params,
  );
  return { count: count.rows[0]!.n, rows };
}

/** The probes taking part in each of the measurements now (RIPE Atlas's optional field `probes`). */
export async function measurementParticipants(pool: Pool, msmIds: number[]): Promise<Map<number, number[]>> {
  const { rows } = await pool.query<{ msm_id: number; prb_ids: number[] }>(
    `SELECT msm_id, array_agg(prb_id ORDER BY prb_id) AS prb_ids FROM measurement_probes
     WHERE msm_id = ANY($1::int[]) AND removed_at IS NULL GROUP BY msm_id`,
    [msmIds],
  );
  return new Map(rows.map((r) => [r.msm_id, r.prb_ids]));
}

/** A participation request of a measurement, as made: `add` with a selection, or `remove` of listed probes. */
export interface ParticipationRecord {
  id: number;
  msm_id: number;
  action: "add" | "remove";
  source: StoredProbeSource;
  /** The probes it added or removed. */
  prb_ids: number[];
  created_at: number;
}

const PARTICIPATION_COLUMNS = `id, msm_id, action, source, prb_ids, extract(epoch FROM created_at)::bigint::int AS created_at`;

/** Sort keys of participation request lists, by API field name. */
export const PARTICIPATION_SORT_COLUMNS: Record<string, string> = { id: "id", created_at: "created_at", action: "action" };

/** A measurement's participation requests, ordered (id last) and paged. */
export async function listParticipationRequests(
  pool: Pool,
  f: { msmId: number; order: ListOrder[]; limit: number; offset: number },
): Promise<{ count: number; rows: ParticipationRecord[] }> {
  const order = [...f.order, { field: "id", descending: f.order.at(-1)?.descending ?? false }]
    .map((o) => `${PARTICIPATION_SORT_COLUMNS[o.field] ?? "id"} ${o.descending ? "DESC" : "ASC"}`);
  const [count, page] = await Promise.all([
    pool.query<{ n: number }>("SELECT count(*)::int AS n FROM participation_requests WHERE msm_id = $1", [f.msmId]),
    pool.query<ParticipationRecord>(
      `SELECT ${PARTICIPATION_COLUMNS} FROM participation_requests WHERE msm_id = $1 ORDER BY ${order.join(", ")} LIMIT $2 OFFSET $3`,
      [f.msmId, f.limit, f.offset],
    ),
  ]);
  return { count: count.rows[0]!.n, rows: page.rows };
}

/** The participation requests of each of the measurements, oldest first (the optional field `participation_requests`). */
export async function participationRequestsOf(pool: Pool, msmIds: number[]): Promise<Map<number, ParticipationRecord[]>> {
  const { rows } = await pool.query<ParticipationRecord>(
    `SELECT ${PARTICIPATION_COLUMNS} FROM participation_requests WHERE msm_id = ANY($1::int[]) ORDER BY id`,
    [msmIds],
  );
  const byMeasurement = new Map<number, ParticipationRecord[]>();
  for (const r of rows) byMeasurement.set(r.msm_id, [...(byMeasurement.get(r.msm_id) ?? []), r]);
  return byMeasurement;
}

export async function getParticipationRequest(pool: Pool, id: number): Promise<ParticipationRecord | null> {
  const { rows } = await pool.query<ParticipationRecord>(`SELECT ${PARTICIPATION_COLUMNS} FROM participation_requests WHERE id = $1`, [id]);
  return rows[0] ?? null;
}
