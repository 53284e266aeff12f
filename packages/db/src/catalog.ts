import { createPrismaClient } from "./prisma.js";

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
