import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LOG_START, createPool, newestFinalPosition, positionAfter, positionParts, readFinalAfter, ResultWriter, type CommittedTurn, type Pool,
  type ResultToStore,
} from "@probestream/db";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "@probestream/testkit";

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase("result_log");
  pool = createPool(db.url);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const NOW = Math.floor(Date.now() / 1000);

function result(prbId: number, msmId = 77, timestamp = NOW): ResultToStore {
  const body = { type: "ping", prb_id: prbId, msm_id: msmId, timestamp, fw: 5020 };
  return { msmId, prbId, timestamp, type: "ping", body: JSON.stringify(body) };
}

describe("stream positions", () => {
  it("are one decimal string of the transaction and the id, ordered as numbers", () => {
    expect(positionParts("0")).toEqual(["0", "0"]);
    expect(positionParts("754000000000123")).toEqual(["754", "123"]);
    expect(positionAfter("755000000000001", "754999999999999")).toBe(true);
    expect(positionAfter("754000000000123", "754000000000123")).toBe(false);
    expect(() => positionParts("12a")).toThrow(RangeError);
    expect(() => positionParts("0012")).toThrow(RangeError);
  });
});

describe("the committed log", () => {
  it("holds back what a still-running transaction could precede, then gives both in log order", async () => {
    const writer = new ResultWriter(pool);
    const start = await newestFinalPosition(pool);
    // A transaction that began earlier (it has the older transaction id) commits last.
    const slow = await pool.connect();
    try {
      await slow.query("BEGIN");
      await slow.query(
        `INSERT INTO results (msm_id, prb_id, ts, type, digest, body) VALUES (77, 1, to_timestamp($1), 'ping', '\\x01', '{"slow":true}')`,
        [NOW],
      );
      const fast = await writer.write([result(2)]);
      expect(fast.stored).toHaveLength(1);
      // Committed, acknowledged, but not final: the older transaction may still add rows before it.
      expect(await readFinalAfter(pool, start, 100)).toEqual([]);
      expect(await newestFinalPosition(pool)).toBe(start);
      await slow.query("COMMIT");
    } finally {
      slow.release();
    }
    const log = await readFinalAfter(pool, start, 100);
    expect(log.map((e) => JSON.parse(e.json).slow ?? JSON.parse(e.json).prb_id)).toEqual([true, 2]);
    expect(positionAfter(log[1]!.position, log[0]!.position)).toBe(true);
    expect(await newestFinalPosition(pool)).toBe(log[1]!.position);
    // The served JSON carries stored_timestamp; a public measurement's results are for everyone.
    expect(JSON.parse(log[1]!.json)).toMatchObject({ prb_id: 2, stored_timestamp: expect.any(Number) });
    expect(log[1]!.privateTo).toBeNull();
  });

  it("is not held back by a transaction of another database: it cannot write these results", async () => {
    const elsewhere = await createTestDatabase("result_log_elsewhere");
    const other = new pg.Client({ connectionString: elsewhere.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query("SELECT pg_current_xact_id()");
      const turns: CommittedTurn[] = [];
      const writer = new ResultWriter(pool, (turn) => turns.push(turn));
      const start = await newestFinalPosition(pool);
      const { stored } = await writer.write([result(3)]);
      // Final at once, and proven so by the writer's own statement, while the other one still runs.
      expect((await readFinalAfter(pool, start, 100)).map((e) => e.position)).toEqual([stored[0]!.id]);
      expect(await newestFinalPosition(pool)).toBe(stored[0]!.id);
      expect(turns[0]!.finalAfter).toBe(start);
      await other.query("COMMIT");
    } finally {
      await other.end();
      await elsewhere.drop();
    }
  });

  it("is not held back by a session that writes no log (webhook workers), but is by any other of this database", async () => {
    const quiet = createPool(db.url, 1, { writesNoLog: true });
    const other = createPool(db.url, 1);
    const bystander = await quiet.connect();
    const plain = await other.connect();
    try {
      await bystander.query("BEGIN");
      await bystander.query("UPDATE probes SET description = description WHERE false; SELECT pg_current_xact_id()");
      const turns: CommittedTurn[] = [];
      const writer = new ResultWriter(pool, (turn) => turns.push(turn));
      const start = await newestFinalPosition(pool);
      const { stored } = await writer.write([result(4)]);
      expect((await readFinalAfter(pool, start, 100)).map((e) => e.position)).toEqual([stored[0]!.id]);
      expect(turns[0]!.finalAfter).toBe(start);
      // A session of this database without the promise holds the log back while it runs.
      await plain.query("BEGIN");
      await plain.query("SELECT pg_current_xact_id()");
      const { stored: next } = await writer.write([result(5)]);
      expect(turns[1]!.finalAfter).toBeNull();
      expect(await readFinalAfter(pool, stored[0]!.id, 100)).toEqual([]);
      await plain.query("COMMIT");
      expect((await readFinalAfter(pool, stored[0]!.id, 100)).map((e) => e.position)).toEqual([next[0]!.id]);
      await bystander.query("COMMIT");
    } finally {
      bystander.release();
      plain.release();
      await quiet.end();
      await other.end();
    }
  });

  it("reads exactly what comes after a position, with concurrent writers, in pages", async () => {
    const start = await newestFinalPosition(pool);
    const writers = [new ResultWriter(pool), new ResultWriter(pool), new ResultWriter(pool)];
    await Promise.all(writers.map((w, k) => Promise.all(Array.from({ length: 20 }, (_, i) => w.write([result(100 + k * 100 + i)])))));
    const seen: string[] = [];
    let cursor = start;
    for (;;) {
      const page = await readFinalAfter(pool, cursor, 7);
      if (page.length === 0) break;
      for (const e of page) {
        expect(positionAfter(e.position, cursor)).toBe(true);
        cursor = e.position;
        seen.push(e.position);
      }
    }
    expect(seen).toHaveLength(60);
    expect(new Set(seen).size).toBe(60);
    // Everything this file stored: the 60 and the earlier tests' 5.
    expect(await readFinalAfter(pool, LOG_START, 1000)).toHaveLength(65);
  });
});
