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
