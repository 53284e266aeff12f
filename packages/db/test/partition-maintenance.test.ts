import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import {
  createPool, dropExpiredPartitions, exportPartition, maintainPartitions, PartitionExportError, ResultWriter, type PartitionExport, type Pool,
} from "@probestream/db";
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
  const told: string[] = [];
  const errors: unknown[] = [];
  const stop = maintainPartitions(pool, (err) => errors.push(err), { retentionDays: 30, onDropped: (name) => told.push(name), everyMs: 50 });
  await expect.poll(() => told).toEqual([partitionName(-35)]);
  stop();
  expect(errors).toEqual([]);
});

describe("export before the drop", () => {
  let dir: string;
  const writer = () => new ResultWriter(pool);
  const day = (d: number) => partitionName(d).slice("results_".length);
  const write = async (msm: number, prb: number, daysAgo: number, n: number) => {
    const timestamp = Math.floor(Date.now() / 1000) - daysAgo * 86_400 + n;
    const body = JSON.stringify({ type: "ping", prb_id: prb, msm_id: msm, timestamp, n });
    await writer().write([{ msmId: msm, prbId: prb, timestamp, type: "ping", body }]);
  };
  const served = async (partition: string, msm: number) => (await pool.query<{ line: string }>(
    `SELECT left(body::text, -1) || ',"stored_timestamp":' || extract(epoch FROM stored_at)::bigint || '}' AS line
     FROM ${partition} WHERE msm_id = $1 ORDER BY ts, id`, [msm])).rows.map((r) => r.line);
  const exists = async (name: string) => (await pool.query("SELECT to_regclass($1) AS t", [name])).rows[0].t !== null;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "probestream-export-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes each expired partition as gzip files of served results per measurement, then drops it", async () => {
    for (let n = 0; n < 3; n++) {
      await write(81, 7, 50, n);
      await write(82, 8, 50, 10 - n);
      await write(81, 7, 45, n);
    }
    const expected = { 81: await served(partitionName(-50), 81), 82: await served(partitionName(-50), 82) };
    const exported: PartitionExport[] = [];
    const dropped = await dropExpiredPartitions(pool, 30, { exportDir: dir, onExported: (e) => exported.push(e) });
    expect(dropped).toEqual([partitionName(-50), partitionName(-45)]);
    expect(exported.map((e) => [e.partition, e.results, e.measurements])).toEqual([
      [partitionName(-50), 6, { 81: 3, 82: 3 }],
      [partitionName(-45), 3, { 81: 3 }],
    ]);
    expect(await exists(partitionName(-50))).toBe(false);
    expect((await readdir(dir)).sort()).toEqual([day(-45), day(-50)].sort());
    expect((await readdir(join(dir, day(-50)))).sort()).toEqual(["81.ndjson.gz", "82.ndjson.gz", "index.json"]);
    for (const msm of [81, 82] as const) {
      const text = gunzipSync(await readFile(join(dir, day(-50), `${msm}.ndjson.gz`))).toString();
      expect(text).toBe(expected[msm].map((l) => `${l}\n`).join(""));
    }
  });

  it("keeps a partition whose export fails, counts it, and exports and drops it on a later round", async () => {
    await write(83, 9, 60, 0);
    const blocked = join(dir, "not-a-directory");
    await writeFile(blocked, "");
    await expect(dropExpiredPartitions(pool, 30, { exportDir: blocked })).rejects.toBeInstanceOf(PartitionExportError);
    expect(await exists(partitionName(-60))).toBe(true);

    const failed: PartitionExportError[] = [];
    const errors: unknown[] = [];
    const dropped: string[] = [];
    const stop = maintainPartitions(pool, (err) => errors.push(err), {
      retentionDays: 30, exportDir: blocked, everyMs: 50, onExportFailed: (err) => failed.push(err), onDropped: (n) => dropped.push(n),
    });
    await expect.poll(() => failed.length).toBeGreaterThan(1);
    stop();
    expect(failed[0]!.partition).toBe(partitionName(-60));
    expect(dropped).toEqual([]);
    expect(errors).toEqual([]);

    // Once the stopped upkeep's last round has let go of the lock.
    await expect.poll(() => dropExpiredPartitions(pool, 30, { exportDir: dir })).toEqual([partitionName(-60)]);
    expect(JSON.parse(await readFile(join(dir, day(-60), "index.json"), "utf8"))).toMatchObject({ results: 1, measurements: { 83: 1 } });
  });

  it("finishes a partition a cut-short round left detached, with the rows written after its export", async () => {
    await write(84, 10, 70, 0);
    await exportPartition(pool, dir, partitionName(-70));
    await write(84, 10, 70, 1);
    await pool.query(`ALTER TABLE results DETACH PARTITION ${partitionName(-70)}`);
    const expected = await served(partitionName(-70), 84);
    expect(expected).toHaveLength(2);
    expect(await dropExpiredPartitions(pool, 30, { exportDir: dir })).toEqual([partitionName(-70)]);
    expect(await exists(partitionName(-70))).toBe(false);
    const text = gunzipSync(await readFile(join(dir, day(-70), "84.ndjson.gz"))).toString();
    expect(text).toBe(expected.map((l) => `${l}\n`).join(""));
  });
});
