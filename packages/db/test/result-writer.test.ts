import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPool, LOG_START, positionAfter, positionParts, readFinalAfter, ResultReader, ResultWriter, withStoredTimestamp,
  WriterOverloadedError, type CommittedTurn, type Pool, type ResultToStore,
} from "@probestream/db";
import { createTestDatabase, type TestDatabase } from "@probestream/testkit";

let db: TestDatabase;
let pool: Pool;
let writer: ResultWriter;
let reader: ResultReader;

beforeAll(async () => {
  db = await createTestDatabase("writer");
  pool = createPool(db.url);
  writer = new ResultWriter(pool);
  reader = new ResultReader(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

function result(prbId: number, timestamp: number, extra: Record<string, unknown> = {}): ResultToStore {
  const body = { type: "ping", prb_id: prbId, msm_id: 42, timestamp, fw: 5020, ...extra };
  return { msmId: 42, prbId, timestamp, type: "ping", body: JSON.stringify(body) };
}

async function readAll(msmId: number): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of await reader.stream({ msmId })) out.push(...(batch as string[]));
  return out;
}

describe("ResultWriter", () => {
  it("stores a batch across days it has never seen, creating their partitions", async () => {
    const batch = [result(1, 1_328_019_792), result(2, 1_700_000_000), result(1, 1_700_086_400)];
    const { stored, duplicates, createdEvents } = await writer.write(batch);
    expect(duplicates).toBe(0);
    expect(createdEvents).toEqual([{
      privateTo: null,
      event: { msm_id: 42, event: "created", timestamp: expect.any(Number), type: "ping", status: { id: 2, name: "Ongoing" }, is_public: true },
    }]);
    const { rows: events } = await pool.query("SELECT msm_id, event::text AS event FROM measurement_events");
    expect(events).toEqual([{ msm_id: 42, event: JSON.stringify(createdEvents[0]!.event) }]);
    expect(stored.map((s) => s.prbId)).toEqual([1, 2, 1]);
    const { rows } = await pool.query<{ name: string }>(
      "SELECT relname AS name FROM pg_class WHERE relname LIKE 'results_20%' ORDER BY 1",
    );
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(["results_20120131", "results_20231114", "results_20231115"]));
    expect((await writer.write([result(1, 1_700_000_001)])).createdEvents).toEqual([]);
    const { rows: m } = await pool.query("SELECT id, type, result_count FROM measurements WHERE id = 42");
    expect(m).toEqual([{ id: 42, type: "ping", result_count: "4" }]);
  });

  it("stores a repeated result once, within a batch and across batches", async () => {
    const r = result(3, 1_700_000_500);
    const first = await writer.write([r, r]);
    expect(first.stored).toHaveLength(1);
    expect(first.duplicates).toBe(1);
    const again = await writer.write([r]);
    expect(again).toEqual({ stored: [], duplicates: 1, createdEvents: [] });
  });

  it("keeps two different results that share probe, measurement and timestamp", async () => {
    const { stored } = await writer.write([result(4, 1_700_000_600, { rt: 1 }), result(4, 1_700_000_600, { rt: 2 })]);
    expect(stored).toHaveLength(2);
  });

  it("serves each result as sent plus stored_timestamp, in timestamp order", async () => {
    const all = await readAll(42);
    const timestamps = all.map((j) => (JSON.parse(j) as { timestamp: number }).timestamp);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    const first = JSON.parse(all[0]!) as Record<string, unknown>;
    expect(first).toEqual({ type: "ping", prb_id: 1, msm_id: 42, timestamp: 1_328_019_792, fw: 5020, stored_timestamp: expect.any(Number) });
  });

  it("stores non-ASCII text byte for byte (the bodies travel as UTF-8 bytes)", async () => {
    const r: ResultToStore = { msmId: 43, prbId: 5, timestamp: 1_700_000_700, type: "ping", body: '{"type":"ping","msm_name":"Pïng ✓ 𝄞","x":"\\u00e9"}' };
    const { stored } = await writer.write([r]);
    expect(stored[0]!.json).toBe(`${r.body.slice(0, -1)},"stored_timestamp":${stored[0]!.storedTimestamp}}`);
    expect(await readAll(43)).toEqual([stored[0]!.json]);
  });

  it("concurrent writers on the same new day and measurement neither fail nor deadlock", async () => {
    const day = 1_600_000_000;
    const batches = Array.from({ length: 8 }, (_, i) =>
      Array.from({ length: 50 }, (_, j) => result(100 + j, day + i, { i })),
    );
    const outcomes = await Promise.all(batches.map((b) => new ResultWriter(pool).write(b)));
    expect(outcomes.reduce((n, o) => n + o.stored.length, 0)).toBe(400);
  });
});

describe("group commit", () => {
  it("commits batches that arrive together in one turn (one transaction), each with its own outcome", async () => {
    const grouped = new ResultWriter(pool);
    const shared = result(500, 1_650_000_000);
    const batches = [
      [shared, result(501, 1_650_000_000)],
      [result(502, 1_650_000_000), shared],
      [result(503, 1_650_000_000)],
    ];
    const first = grouped.write([result(499, 1_650_000_000)]);
    const outcomes = await Promise.all(batches.map((b) => grouped.write(b)));
    const alone = await first;
    expect(outcomes.map((o) => [o.stored.length, o.duplicates])).toEqual([[2, 0], [1, 1], [1, 0]]);
    // The first write took a turn alone; the three that waited for it shared the next one.
    const txOf = (position: string) => positionParts(position)[0];
    const shared3 = new Set(outcomes.flatMap((o) => o.stored.map((r) => txOf(r.id))));
    expect(shared3.size).toBe(1);
    expect(shared3.has(txOf(alone.stored[0]!.id))).toBe(false);
    const positions = outcomes.flatMap((o) => o.stored.map((r) => r.id));
    expect(positions.every((p) => positionAfter(p, alone.stored[0]!.id))).toBe(true);
  });

  it("a turn whose statement fails rejects its batches, and later turns go on", async () => {
    const broken = { msmId: 43, prbId: 1, timestamp: 1_650_000_100, type: "ping", body: "{not json" };
    const [a, b] = await Promise.allSettled([writer.write([result(600, 1_650_000_100)]), writer.write([broken])]);
    expect(a.status).toBe("fulfilled");
    expect(b.status).toBe("rejected");
    expect((await writer.write([result(601, 1_650_000_100)])).stored).toHaveLength(1);
  });

  it("a batch that fails its group's statement fails alone: the batches committed with it are stored", async () => {
    const broken = { msmId: 43, prbId: 1, timestamp: 1_650_000_200, type: "ping", body: "{not json" };
    const busy = writer.write([result(700, 1_650_000_200)]);
    const [good1, bad, good2] = await Promise.allSettled([
      writer.write([result(701, 1_650_000_200)]),
      writer.write([broken]),
      writer.write([result(702, 1_650_000_200)]),
    ]);
    await busy;
    expect([good1.status, bad.status, good2.status]).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(good1.status === "fulfilled" && good1.value.stored).toHaveLength(1);
    expect(good2.status === "fulfilled" && good2.value.stored).toHaveLength(1);
  });
});

describe("withStoredTimestamp", () => {
  it("appends the field to an object, empty or not", () => {
    expect(JSON.parse(withStoredTimestamp('{"a":1}', 5))).toEqual({ a: 1, stored_timestamp: 5 });
    expect(JSON.parse(withStoredTimestamp("{}", 5))).toEqual({ stored_timestamp: 5 });
  });

  it("refuses a batch, storing none of it, when its queue already holds its limit; takes batches again once it drains", async () => {
    const bounded = new ResultWriter(pool, undefined, 10);
    const batch = (from: number) => Array.from({ length: 8 }, (_, i) => result(90, 1_700_300_000 + from + i));
    const first = bounded.write(batch(0)); // taken into a turn at once
    const second = bounded.write(batch(100)); // waits: 8 of 10
    await expect(bounded.write(batch(200))).rejects.toBeInstanceOf(WriterOverloadedError);
    expect((await first).stored).toHaveLength(8);
    expect((await second).stored).toHaveLength(8);
    expect((await bounded.write(batch(200))).stored).toHaveLength(8);
    expect((await readAll(42)).filter((json) => json.includes('"prb_id":90'))).toHaveLength(24);
  });

  it("hands each turn over as the log serves it, proven final when no other write ran, with the row before it", async () => {
    const turns: CommittedTurn[] = [];
    const own = new ResultWriter(pool, (turn) => turns.push(turn));
    const t = 1_700_300_000;
    await own.write([result(71, t), result(72, t)]);
    await own.write([result(73, t)]);
    const [first, second] = turns;
    expect(first!.finalAfter).not.toBeNull();
    expect(second!.finalAfter).toBe(first!.entries.at(-1)!.position);
    // Byte for byte what the relay would read back from the log, and the previous row is the log's.
    const log = await readFinalAfter(pool, first!.finalAfter!, 3);
    expect(log).toEqual([...first!.entries, ...second!.entries]);
    expect(first!.finalAfter === LOG_START || positionAfter(log[0]!.position, first!.finalAfter!)).toBe(true);

    // A writing transaction that began earlier and still runs: no proof (its rows may come first).
    const other = await pool.connect();
    try {
      await other.query("BEGIN");
      await other.query("SELECT pg_current_xact_id()");
      await own.write([result(74, t)]);
      expect(turns[2]!.finalAfter).toBeNull();
      await other.query("COMMIT");
    } finally {
      other.release();
    }
    await own.write([result(75, t)]);
    expect(turns[3]!.finalAfter).toBe(turns[2]!.entries.at(-1)!.position);
    expect(new Set(turns.map((x) => x.backendPid)).size).toBeGreaterThan(0);
  });

  it("sends the next turn while settling the last, yet one statement at a time: every turn proven final after the one before", async () => {
    const turns: CommittedTurn[] = [];
    const own = new ResultWriter(pool, (turn) => turns.push(turn));
    const t = 1_700_400_000;
    // 24 batches of 250 at once: turns of up to 1,000 results, each sent as the one before commits.
    const batches = Array.from({ length: 24 }, (_, b) => Array.from({ length: 250 }, (_, k) => result(2000 + b, t + k)));
    const outcomes = await Promise.all(batches.map((batch) => own.write(batch)));
    expect(outcomes.map((o) => o.stored.length)).toEqual(batches.map(() => 250));
    expect(turns.length).toBeGreaterThan(1);
    turns.slice(1).forEach((turn, k) => expect(turn.finalAfter).toBe(turns[k]!.entries.at(-1)!.position));
    const positions = turns.flatMap((turn) => turn.entries.map((e) => e.position));
    expect(positions.every((p, k) => k === 0 || positionAfter(p, positions[k - 1]!))).toBe(true);
    expect(new Set(positions).size).toBe(24 * 250);
  });

  it("refuses a batch it cannot digest without holding its place in the queue", async () => {
    const own = new ResultWriter(pool, undefined, 2);
    const broken = { ...result(3001, 1_700_500_000), body: undefined as unknown as string };
    await expect(own.write([broken, broken])).rejects.toThrow();
    const outcome = await own.write([result(3002, 1_700_500_000), result(3003, 1_700_500_000)]);
    expect(outcome.stored).toHaveLength(2);
  });
});
