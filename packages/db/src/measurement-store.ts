import type { Pool, PoolClient } from "pg";
import { MeasurementStatusId } from "@probestream/types";
import { assignProbes, selectProbes, unassignProbes, listedProbeIds, type StoredProbeSource } from "./probe-selection.js";
import { inTransaction } from "./transaction.js";
import { recordMeasurementEvents, type StoredMeasurementEvent } from "./event-log.js";

type Queryable = Pool | PoolClient;

/** A measurement row with times in Unix seconds, as the API and the scheduler use it. */
export interface MeasurementRow {
  id: number;
  type: string;
  description: string;
  target: string | null;
  target_ip: string | null;
  af: number | null;
  interval: number | null;
  spread: number | null;
  is_public: boolean;
  is_oneoff: boolean;
  status: number;
  status_since: number;
  start_time: number | null;
  stop_time: number | null;
  creation_time: number;
  definition: Record<string, unknown>;
  probe_sources: StoredProbeSource[];
  probes_requested: number;
  probes_scheduled: number;
  participant_count: number;
  result_count: number;
  last_result_time: number | null;
  tags: string[];
  owner_id: number | null;
}

const epoch = (column: string, as = column) => `extract(epoch FROM m.${column})::bigint::int AS ${as}`;

export const MEASUREMENT_COLUMNS = `
  m.id, m.type, m.description, m.target, m.target_ip, m.af, m.interval, m.spread, m.is_public, m.is_oneoff,
  m.status, ${epoch("status_since")}, ${epoch("start_time")}, ${epoch("stop_time")}, ${epoch("created_at", "creation_time")},
  m.definition, m.probe_sources, m.probes_requested, m.probes_scheduled, m.tags, m.owner_id,
  m.result_count::float8 AS result_count, ${epoch("last_result_at", "last_result_time")},
  (SELECT count(*)::int FROM measurement_probes mp WHERE mp.msm_id = m.id AND mp.removed_at IS NULL) AS participant_count`;

/** Measurements by id, in id order, as `db` (a change's transaction, or the pool) sees them. */
export async function measurementRows(db: Queryable, ids: readonly number[]): Promise<MeasurementRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<MeasurementRow>(
    `SELECT ${MEASUREMENT_COLUMNS} FROM measurements m WHERE m.id = ANY($1::int[]) ORDER BY m.id`,
    [ids],
  );
  return rows;
}

/**
 * The events telling about a change of measurements, given the changed rows as the change's own
 * transaction sees them. Every method that changes measurements takes one and stores its events in
 * that transaction: a crash keeps both or neither.
 */
export type MeasurementEventsOf = (rows: MeasurementRow[]) => StoredMeasurementEvent[];

/** What a change did: the changed measurements, and the events stored with it, to publish now that it has committed. */
export interface MeasurementChange {
  rows: MeasurementRow[];
  events: StoredMeasurementEvent[];
}

/** Ends a change inside its transaction: reads the changed rows and stores the events telling about them. */
export async function recordChange(db: Queryable, ids: readonly number[], eventsOf: MeasurementEventsOf): Promise<MeasurementChange> {
  const rows = await measurementRows(db, ids);
  const events = eventsOf(rows);
  await recordMeasurementEvents(db, events);
  return { rows, events };
}

/** A measurement to create: one definition of a request, with the request's common settings applied. */
export interface NewMeasurement {
  type: string;
  description: string;
  target: string | null;
  targetIp: string | null;
  af: number;
  interval: number | null;
  spread: number | null;
  isPublic: boolean;
  isOneoff: boolean;
  startTime: Date | null;
  stopTime: Date | null;
  definition: Record<string, unknown>;
  probeSources: StoredProbeSource[];
  tags: string[];
  ownerId: number;
}

/** A measurement that runs on a fixed set of probes, as the demo fleet's measurements do. */
export interface FixedMeasurement {
  id: number;
  type: string;
  description: string;
  target: string;
  af: 4 | 6;
  /** Seconds between a probe's results. */
  interval: number;
  prbIds: number[];
}

/** Unfinished measurements: the scheduler still has work with them. */
export const UNFINISHED = [MeasurementStatusId.Specified, MeasurementStatusId.Scheduled, MeasurementStatusId.Ongoing];

/** Measurements of the REST API v2 over plain SQL: definitions, reads, stops, participation (the list: see catalog). */
export class MeasurementStore {
  constructor(private readonly pool: Pool) {}

  /** Creates all of a request's measurements in one transaction, Specified (0), with their events. */
  async create(specs: NewMeasurement[], eventsOf: MeasurementEventsOf): Promise<MeasurementChange> {
    return inTransaction(this.pool, async (client) => {
      const ids: number[] = [];
      for (const s of specs) {
        const { rows } = await client.query<{ id: number }>(
          `INSERT INTO measurements (id, type, description, target, target_ip, af, interval, spread, is_public, is_oneoff,
             status, status_since, start_time, stop_time, definition, probe_sources, probes_requested, tags, owner_id)
           VALUES (nextval('measurements_id_seq'), $1, $2, $3, $4, $5, $6, $7, $8, $9, ${MeasurementStatusId.Specified}, now(), $10, $11, $12, $13, $14, $15, $16)
           RETURNING id`,
          [
            s.type, s.description, s.target, s.targetIp, s.af, s.interval, s.spread, s.isPublic, s.isOneoff,
            s.startTime, s.stopTime, JSON.stringify(s.definition), JSON.stringify(s.probeSources),
            s.probeSources.reduce((sum, p) => sum + p.requested, 0), s.tags, s.ownerId,
          ],
        );
        ids.push(rows[0]!.id);
      }
      return recordChange(client, ids, eventsOf);
    });
  }

  /**
   * Makes measurements with known ids Ongoing on exactly the given probes, with a definition that
   * says what those probes do (af, interval, target) and a probe source listing them, so that the
   * API tells the truth about them as about any other measurement.
   */
  async ensureOngoing(defs: FixedMeasurement[]): Promise<MeasurementRow[]> {
    await inTransaction(this.pool, async (client) => {
      for (const d of defs) {
        const source: StoredProbeSource = { requested: d.prbIds.length, type: "probes", value: d.prbIds.join(",") };
        const definition = { type: d.type, af: d.af, target: d.target, description: d.description, interval: d.interval };
        await client.query(
          `INSERT INTO measurements AS m (id, type, description, target, af, interval, is_public, is_oneoff, status, status_since,
             start_time, definition, probe_sources, probes_requested, probes_scheduled)
           VALUES ($1, $2, $3, $4, $5, $6, true, false, ${MeasurementStatusId.Ongoing}, now(), now(), $7, $8, $9, $9)
           ON CONFLICT (id) DO UPDATE SET
             type = EXCLUDED.type, description = EXCLUDED.description, target = EXCLUDED.target, af = EXCLUDED.af,
             interval = EXCLUDED.interval, is_oneoff = false, stop_time = NULL,
             status_since = CASE WHEN m.status = ${MeasurementStatusId.Ongoing} THEN m.status_since ELSE now() END,
             status = ${MeasurementStatusId.Ongoing},
             start_time = COALESCE(m.start_time, now()), definition = EXCLUDED.definition,
             probe_sources = EXCLUDED.probe_sources, probes_requested = EXCLUDED.probes_requested,
             probes_scheduled = EXCLUDED.probes_scheduled`,
          [d.id, d.type, d.description, d.target, d.af, d.interval, JSON.stringify(definition), JSON.stringify([source]), d.prbIds.length],
        );
        await client.query(
          "UPDATE measurement_probes SET removed_at = now() WHERE msm_id = $1 AND removed_at IS NULL AND NOT (prb_id = ANY($2::int[]))",
          [d.id, d.prbIds],
        );
        await assignProbes(client, d.id, d.prbIds);
      }
    });
    return this.getMany(defs.map((d) => d.id));
  }

  async get(id: number): Promise<MeasurementRow | null> {
    return (await this.getMany([id]))[0] ?? null;
  }

  getMany(ids: number[]): Promise<MeasurementRow[]> {
    return measurementRows(this.pool, ids);
  }

  async exists(id: number): Promise<boolean> {
    const { rowCount } = await this.pool.query("SELECT 1 FROM measurements WHERE id = $1", [id]);
    return rowCount === 1;
  }

  /** Probe ids among `ids` that exist. */
  async existingProbes(ids: number[]): Promise<Set<number>> {
    const { rows } = await this.pool.query<{ id: number }>("SELECT id FROM probes WHERE id = ANY($1::int[])", [ids]);
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Stops an unfinished measurement (status 4 Stopped, or another final status) and takes it off its
   * probes, with its events; no change when it was already finished, so that only one caller reports the stop.
   */
  async stop(id: number, eventsOf: MeasurementEventsOf, status: number = MeasurementStatusId.Stopped): Promise<MeasurementChange> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: number }>(
        `UPDATE measurements SET status = $2, status_since = now(), stop_time = LEAST(COALESCE(stop_time, now()), now())
         WHERE id = $1 AND status = ANY($3::int[]) RETURNING id`,
        [id, status, UNFINISHED],
      );
      if (rows.length > 0) await unassignProbes(client, id);
      return recordChange(client, rows.map((r) => r.id), eventsOf);
    });
  }

  /**
   * Applies participation requests to a measurement in one transaction: `add` selects probes like a
   * probe source, `remove` takes listed probes off. Returns the request ids, and the change with its events.
   */
  async participate(
    msmId: number, requests: ({ action: "add" | "remove" } & StoredProbeSource)[], eventsOf: MeasurementEventsOf,
  ): Promise<{ requestIds: number[] } & MeasurementChange> {
    return inTransaction(this.pool, async (client) => {
      const ids: number[] = [];
      const { rows: measured } = await client.query<{ af: number | null }>("SELECT af FROM measurements WHERE id = $1 FOR UPDATE", [msmId]);
      const af = measured[0]?.af ?? null;
      for (const { action, ...source } of requests) {
        let prbIds: number[];
        if (action === "add") {
          prbIds = await selectProbes(client, msmId, source, af);
          await assignProbes(client, msmId, prbIds);
          // An added source is one of the measurement's sources from now on, as RIPE Atlas lists it.
          await client.query(
            `UPDATE measurements SET probe_sources = probe_sources || jsonb_build_array($2::jsonb),
               probes_requested = probes_requested + $3 WHERE id = $1`,
            [msmId, JSON.stringify(source), source.requested],
          );
        } else {
          prbIds = await unassignProbes(client, msmId, listedProbeIds(source.value).slice(0, source.requested));
        }
        const { rows } = await client.query<{ id: number }>(
          "INSERT INTO participation_requests (msm_id, action, source, prb_ids) VALUES ($1, $2, $3, $4) RETURNING id",
          [msmId, action, JSON.stringify(source), prbIds],
        );
        ids.push(rows[0]!.id);
      }
      await client.query(
        `UPDATE measurements SET probes_scheduled =
           (SELECT count(*) FROM measurement_probes WHERE msm_id = $1 AND removed_at IS NULL)
         WHERE id = $1`,
        [msmId],
      );
      return { requestIds: ids, ...(await recordChange(client, [msmId], eventsOf)) };
    });
  }
}
