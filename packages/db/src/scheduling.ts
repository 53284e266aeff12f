import type { Pool } from "pg";
import { MeasurementStatusId as Status, type ProbeAssignment } from "@probestream/types";
import { recordChange, type MeasurementChange, type MeasurementEventsOf } from "./measurement-store.js";
import { assignProbes, selectProbes, unassignProbes, type StoredProbeSource } from "./probe-selection.js";
import { inTransaction } from "./transaction.js";

/** Measurements whose probes run them: scheduled and ongoing. */
const RUNNING = `${Status.Scheduled}, ${Status.Ongoing}`;

/** What a probe is told to run: one entry per measurement it takes part in. */
export type Assignment = ProbeAssignment;

/**
 * The controller's state changes, each done by one conditional UPDATE (or a row lock skipped by
 * others) so that any number of ingest processes may run them at once and each change happens,
 * and is reported, exactly once. Every method returns the measurements it changed, with the events
 * it stored in the same transaction (`eventsOf`).
 */
export class SchedulingStore {
  constructor(private readonly pool: Pool) {}

  /** Specified -> Scheduled with its probes chosen, or No suitable probes. */
  async scheduleSpecified(eventsOf: MeasurementEventsOf, batch = 20): Promise<MeasurementChange> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: number; af: number | null; probe_sources: StoredProbeSource[] }>(
        `SELECT id, af, probe_sources FROM measurements WHERE status = ${Status.Specified} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batch],
      );
      for (const m of rows) {
        let scheduled = 0;
        for (const source of m.probe_sources) {
          scheduled += await assignProbes(client, m.id, await selectProbes(client, m.id, source, m.af));
        }
        await client.query(
          "UPDATE measurements SET status = $2, status_since = now(), probes_scheduled = $3 WHERE id = $1",
          [m.id, scheduled > 0 ? Status.Scheduled : Status.NoSuitableProbes, scheduled],
        );
      }
      return recordChange(client, rows.map((m) => m.id), eventsOf);
    });
  }

  /** Scheduled -> Ongoing once its start time has come; "as soon as possible" becomes now. */
  async startDue(eventsOf: MeasurementEventsOf): Promise<MeasurementChange> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: number }>(
        `UPDATE measurements SET status = ${Status.Ongoing}, status_since = now(), start_time = COALESCE(start_time, now())
         WHERE status = ${Status.Scheduled} AND (start_time IS NULL OR start_time <= now()) RETURNING id`,
      );
      return recordChange(client, rows.map((r) => r.id), eventsOf);
    });
  }

  /**
   * -> Stopped: measurements past their stop time, and one-offs every probe of which has
   * reported. Their probes are taken off them.
   */
  async stopDue(eventsOf: MeasurementEventsOf): Promise<MeasurementChange> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: number }>(
        `UPDATE measurements m SET status = ${Status.Stopped}, status_since = now(), stop_time = LEAST(COALESCE(m.stop_time, now()), now())
         WHERE (m.status IN (${RUNNING}) AND m.stop_time <= now())
            OR (m.status = ${Status.Ongoing} AND m.is_oneoff AND NOT EXISTS (
                  SELECT 1 FROM measurement_probes mp
                  WHERE mp.msm_id = m.id AND mp.removed_at IS NULL
                    AND NOT EXISTS (SELECT 1 FROM results r WHERE r.msm_id = m.id AND r.prb_id = mp.prb_id)))
         RETURNING id`,
      );
      for (const { id } of rows) await unassignProbes(client, id);
      return recordChange(client, rows.map((r) => r.id), eventsOf);
    });
  }

  /** Every probe that runs or ran a measurement: those whose assignment lists it changes. */
  async probesOf(msmId: number): Promise<number[]> {
    const { rows } = await this.pool.query<{ prb_id: number }>(
      "SELECT prb_id FROM measurement_probes WHERE msm_id = $1",
      [msmId],
    );
    return rows.map((r) => r.prb_id);
  }

  /** The current assignments of each probe (scheduled and ongoing measurements), by probe id. */
  async assignmentsOf(prbIds: number[]): Promise<Map<number, Assignment[]>> {
    const lists = new Map<number, Assignment[]>(prbIds.map((id) => [id, []]));
    if (prbIds.length === 0) return lists;
    const { rows } = await this.pool.query<Assignment & { prb_id: number }>(
      `SELECT mp.prb_id, m.id AS msm_id, m.type, m.interval, m.is_oneoff,
              extract(epoch FROM m.start_time)::bigint::int AS start_time,
              extract(epoch FROM m.stop_time)::bigint::int AS stop_time, m.spread, m.definition
       FROM measurement_probes mp JOIN measurements m ON m.id = mp.msm_id
       WHERE mp.prb_id = ANY($1::int[]) AND mp.removed_at IS NULL AND m.status IN (${RUNNING})
       ORDER BY mp.prb_id, m.id`,
      [prbIds],
    );
    for (const { prb_id, ...assignment } of rows) lists.get(prb_id)?.push(assignment);
    return lists;
  }
}
