import { afterAll, beforeAll, expect, it } from "vitest";
import { createPool, dropExpiredPartitions, maintainPartitions, ResultWriter, type Pool } from "@probestream/db";
import { createTestDatabase, type TestDatabase } from "@probestream/testkit";

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase("partitions");
  pool = createPool(db.url);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

function partitionName(daysFromToday: number): string {
  const day = new Date(Date.now() + daysFromToday * 86_400_000);
  return `results_${day.toISOString().slice(0, 10).replaceAll("-", "")}`;
}

it("keeps a week of daily partitions ahead while the process runs", async () => {
  const ahead = partitionName(7);
  await pool.query(`DROP TABLE ${ahead}`);
  const errors: unknown[] = [];
  const stop = maintainPartitions(pool, (err) => errors.push(err), { everyMs: 50 });
  const exists = async () => (await pool.query("SELECT to_regclass($1) AS t", [ahead])).rows[0].t !== null;
  await expect.poll(exists).toBe(true);
  await pool.query(`DROP TABLE ${ahead}`);
  await expect.poll(exists).toBe(true);
  stop();
  expect(errors).toEqual([]);
});

it("creates a missing day once when several processes ask for it at the same moment", async () => {
  const day = partitionName(30);
  for (let round = 0; round < 10; round++) {
    await pool.query(`DROP TABLE IF EXISTS ${day}`);
    const date = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => pool.query("SELECT ensure_results_partition($1::date)", [date])),
    );
    expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
  }
});

it("drops exactly the partitions older than the retention, with their results, and keeps the rest", async () => {
  const writer = new ResultWriter(pool);
  const days = [-40, -31, -30, -29, 0];
  for (const d of days) {
    const timestamp = Math.floor(Date.now() / 1000) + d * 86_400;
    const body = JSON.stringify({ type: "ping", prb_id: 7, msm_id: 70, timestamp, fw: 5020 });
    await writer.write([{ msmId: 70, prbId: 7, timestamp, type: "ping", body }]);
  }
  const dropped = await dropExpiredPartitions(pool, 30);
  expect(dropped).toEqual([partitionName(-40), partitionName(-31)]);
  const left = await pool.query<{ days: number }>(
    "SELECT ((ts AT TIME ZONE 'utc')::date - (now() AT TIME ZONE 'utc')::date) AS days FROM results WHERE msm_id = 70 ORDER BY ts",
  );
  expect(left.rows.map((r) => r.days)).toEqual([-30, -29, 0]);
  expect(await dropExpiredPartitions(pool, 30)).toEqual([]);

  // The upkeep drops them on its rounds, and says which.
  await writer.write([{ msmId: 70, prbId: 7, timestamp: Math.floor(Date.now() / 1000) - 35 * 86_400, type: "ping", body: "{\"type\":\"ping\",\"prb_id\":7,\"msm_id\":70,\"n\":2}" }]);
  const told: string[][] = [];
  const errors: unknown[] = [];
  const stop = maintainPartitions(pool, (err) => errors.push(err), { retentionDays: 30, onDropped: (names) => told.push(names), everyMs: 50 });
  await expect.poll(() => told.flat()).toEqual([partitionName(-35)]);
  stop();
  expect(errors).toEqual([]);
});
