import { afterAll, beforeAll, expect, it } from "vitest";
import { createPool, maintainPartitions, type Pool } from "@probestream/db";
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
  const stop = maintainPartitions(pool, (err) => errors.push(err), 50);
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
