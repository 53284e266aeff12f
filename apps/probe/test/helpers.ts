import pg from "pg";
import type { MeasurementDefinition } from "../src/index.js";

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface MeasurementRow {
  id: number;
  type: string;
  interval: number | null;
  isOneoff?: boolean;
  /** 1 Scheduled (the controller starts it at start_time), 2 Ongoing. */
  status: 1 | 2;
  spread?: number | null;
  definition: MeasurementDefinition;
  prbIds: number[];
}

/** A measurement and its probes written straight into the tables the controller schedules from. */
export async function insertMeasurement(db: pg.Pool, m: MeasurementRow): Promise<void> {
  await db.query(
    `INSERT INTO measurements (id, type, target, af, interval, is_oneoff, status, start_time, spread, definition)
     VALUES ($1, $2, $3, 4, $4, $5, $6, now(), $7, $8)`,
    [m.id, m.type, m.definition.target ?? null, m.interval, m.isOneoff ?? false, m.status, m.spread ?? null, JSON.stringify(m.definition)],
  );
  for (const prbId of m.prbIds) {
    await db.query("INSERT INTO measurement_probes (msm_id, prb_id) VALUES ($1, $2)", [m.id, prbId]);
  }
}

export async function storedResults(db: pg.Pool, msmId: number): Promise<string[]> {
  const { rows } = await db.query<{ body: string }>("SELECT body::text AS body FROM results WHERE msm_id = $1", [msmId]);
  return rows.map((row) => row.body);
}
