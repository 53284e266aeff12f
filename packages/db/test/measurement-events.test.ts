import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MeasurementStatusId, type MeasurementEvent } from "@probestream/types";
import {
  createPool, MeasurementStore, SchedulingStore, type MeasurementRow, type NewMeasurement, type Pool, type StoredMeasurementEvent,
} from "@probestream/db";
import { createTestDatabase, type TestDatabase } from "@probestream/testkit";

// A change of measurements and its events (the log metadata webhooks deliver from) commit in one
// transaction: no crash can keep the one and lose the other.

let db: TestDatabase;
let pool: Pool;
let store: MeasurementStore;
let scheduling: SchedulingStore;

beforeAll(async () => {
  db = await createTestDatabase("msm_events");
  pool = createPool(db.url);
  store = new MeasurementStore(pool);
  scheduling = new SchedulingStore(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const spec: NewMeasurement = {
  type: "ping", description: "events", target: "example.net", targetIp: null, af: 4, interval: 240, spread: null,
  isPublic: true, isOneoff: false, startTime: null, stopTime: null, definition: { type: "ping" },
  probeSources: [{ type: "probes", value: "1", requested: 1 }], tags: [], ownerId: 1,
};

/** Events as a caller builds them: one per changed row, telling its status. */
const telling = (event: MeasurementEvent["event"]) => (rows: MeasurementRow[]): StoredMeasurementEvent[] =>
  rows.map((m) => ({ privateTo: null, event: { msm_id: m.id, event, timestamp: 0, type: m.type, status: { id: m.status, name: "" }, is_public: true } }));

const failing = (): StoredMeasurementEvent[] => {
  throw new Error("the process dies before the change commits");
};

/** The stored events of a measurement, each with whether the transaction that wrote it wrote the row last (xid8's low 32 bits are the xid). */
async function eventsOf(msmId: number): Promise<{ event: string; status: number; sameTransaction: boolean }[]> {
  const { rows } = await pool.query<{ event: string; status: number; same: boolean }>(
    `SELECT e.event->>'event' AS event, (e.event->'status'->>'id')::int AS status,
            e.tx::text::bigint % 4294967296 = (SELECT m.xmin::text::bigint FROM measurements m WHERE m.id = e.msm_id) AS same
     FROM measurement_events e WHERE e.msm_id = $1 ORDER BY e.tx, e.id`,
    [msmId],
  );
  return rows.map((r) => ({ event: r.event, status: r.status, sameTransaction: r.same }));
}

describe("measurement changes and their events", () => {
  beforeAll(async () => {
    const { rows } = await pool.query<{ id: number }>("INSERT INTO users (name) VALUES ('owner') RETURNING id");
    spec.ownerId = rows[0]!.id;
    await pool.query("INSERT INTO probes (id, secret_hash, status) VALUES (1, 'x', 1)");
  });

  it("a change whose events cannot be stored is not made", async () => {
    const before = await pool.query("SELECT count(*)::int AS n FROM measurements");
    await expect(store.create([spec], failing)).rejects.toThrow(/dies/);
    expect((await pool.query("SELECT count(*)::int AS n FROM measurements")).rows).toEqual(before.rows);
  });

  it("create, schedule, start, stop: each change commits with its event, and returns what it stored", async () => {
    const created = await store.create([spec], telling("created"));
    const id = created.rows[0]!.id;
    expect(created.events.map((e) => e.event.msm_id)).toEqual([id]);
    expect(await eventsOf(id)).toEqual([{ event: "created", status: MeasurementStatusId.Specified, sameTransaction: true }]);

    await expect(scheduling.scheduleSpecified(failing)).rejects.toThrow(/dies/);
    expect((await store.get(id))!.status).toBe(MeasurementStatusId.Specified);
    const scheduled = await scheduling.scheduleSpecified(telling("changed"));
    expect(scheduled.rows.map((m) => [m.id, m.status])).toEqual([[id, MeasurementStatusId.Scheduled]]);
    expect((await eventsOf(id)).at(-1)).toEqual({ event: "changed", status: MeasurementStatusId.Scheduled, sameTransaction: true });

    await expect(scheduling.startDue(failing)).rejects.toThrow(/dies/);
    expect((await store.get(id))!.status).toBe(MeasurementStatusId.Scheduled);
    await scheduling.startDue(telling("changed"));
    expect((await eventsOf(id)).at(-1)).toEqual({ event: "changed", status: MeasurementStatusId.Ongoing, sameTransaction: true });

    await expect(store.stop(id, failing)).rejects.toThrow(/dies/);
    expect((await store.get(id))!.status).toBe(MeasurementStatusId.Ongoing);
    expect((await store.stop(id, telling("stopped"))).events).toHaveLength(1);
    expect((await eventsOf(id)).at(-1)).toEqual({ event: "stopped", status: MeasurementStatusId.Stopped, sameTransaction: true });
    // A second stop changes nothing and tells nothing.
    expect(await store.stop(id, telling("stopped"))).toEqual({ rows: [], events: [] });
    expect(await eventsOf(id)).toHaveLength(4);
  });

  it("the scheduler's stop of a measurement past its stop time, and a participation change, commit with their events", async () => {
    const { rows } = await store.create([{ ...spec, stopTime: new Date(Date.now() - 1000) }], telling("created"));
    const id = rows[0]!.id;
    await scheduling.scheduleSpecified(telling("changed"));
    await expect(scheduling.stopDue(failing)).rejects.toThrow(/dies/);
    expect((await store.get(id))!.status).toBe(MeasurementStatusId.Scheduled);
    await expect(store.participate(id, [{ action: "remove", type: "probes", value: "1", requested: 1 }], failing)).rejects.toThrow(/dies/);
    expect((await store.get(id))!.participant_count).toBe(1);
    const participation = await store.participate(id, [{ action: "remove", type: "probes", value: "1", requested: 1 }], telling("changed"));
    expect(participation.requestIds).toHaveLength(1);
    expect(participation.rows[0]!.participant_count).toBe(0);
    const stopped = await scheduling.stopDue(telling("stopped"));
    expect(stopped.rows.map((m) => m.id)).toContain(id);
    expect((await eventsOf(id)).map((e) => [e.event, e.status, e.sameTransaction])).toEqual([
      ["created", MeasurementStatusId.Specified, false],
      ["changed", MeasurementStatusId.Scheduled, false],
      ["changed", MeasurementStatusId.Scheduled, false],
      ["stopped", MeasurementStatusId.Stopped, true],
    ]);
  });
});
