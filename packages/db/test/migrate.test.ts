import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createCatalog, type Catalog } from "../src/catalog.js";
import { migrate } from "../src/migrate.js";
import { DEFAULT_DATABASE_URL } from "../src/pool.js";

const SERVER_URL = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
const DATABASE = `probestream_test_migrate_${randomBytes(4).toString("hex")}`;
/** Every migration shipped, by name, in order: what a fresh database must get. */
const ALL_MIGRATIONS = readdirSync(new URL("../migrations", import.meta.url))
  .filter((f) => f.endsWith(".sql"))
  .sort()
  .map((f) => f.replace(/\.sql$/, ""));

function urlOf(database: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onServer(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

function partitionName(daysFromToday: number): string {
  const day = new Date(Date.now() + daysFromToday * 86_400_000);
  return `results_${day.toISOString().slice(0, 10).replaceAll("-", "")}`;
}

const databaseUrl = urlOf(DATABASE);
let pool: pg.Pool;
let catalog: Catalog;

beforeAll(async () => {
  await onServer(`CREATE DATABASE ${DATABASE}`);
  pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  catalog = createCatalog(databaseUrl);
});

afterAll(async () => {
  await catalog?.close();
  await pool?.end();
  await onServer(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
});

describe("migrate", () => {
  it("applies the schema once when two callers race, and nothing on a later call", async () => {
    const logged: string[] = [];
    const log = (m: string) => logged.push(m);
    const racing = await Promise.all([migrate(databaseUrl, log), migrate(databaseUrl, log)]);
    expect(racing.flat()).toEqual(ALL_MIGRATIONS);
    expect(logged.some((m) => m.includes(ALL_MIGRATIONS[0]!))).toBe(true);
    expect(await migrate(databaseUrl)).toEqual([]);

    const { rows } = await pool.query<{ name: string }>("SELECT name FROM pgmigrations");
    expect(rows.map((r) => r.name)).toEqual(ALL_MIGRATIONS);
  });

  it("creates the tables and the results partitions from yesterday to a week ahead", async () => {
    const tables = ["probes", "measurements", "results", "probe_status_events"];
    const partitions = [-1, 0, 1, 7].map(partitionName);
    const { rows } = await pool.query<{ name: string; exists: boolean }>(
      "SELECT name, to_regclass(name) IS NOT NULL AS exists FROM unnest($1::text[]) AS name",
      [[...tables, ...partitions]],
    );
    expect(rows.filter((r) => !r.exists).map((r) => r.name)).toEqual([]);

    const parent = await pool.query(
      "SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'results'::regclass",
    );
    expect(parent.rows.map((r) => r.name)).toEqual(expect.arrayContaining(partitions));
  });
});

describe("catalog", () => {
  it("creates measurements and updates their definition when ensured again", async () => {
    await catalog.ensureMeasurements([
      { id: 9101, type: "ping", description: "demo ping", target: "example.org" },
      { id: 9102, type: "dns", description: "demo dns" },
    ]);
    await catalog.ensureMeasurements([{ id: 9101, type: "ping", description: "demo ping v2", target: "example.net" }]);

    expect(await catalog.getMeasurement(9101)).toEqual({
      id: 9101,
      type: "ping",
      description: "demo ping v2",
      target: "example.net",
      isPublic: true,
      status: 2,
      resultCount: 0,
      lastResultAt: null,
    });
    expect(await catalog.getMeasurement(9102)).toMatchObject({ type: "dns", target: null });
    expect(await catalog.getMeasurement(9999)).toBeNull();
  });

  it("lists measurements newest result first, those without results last by id, as numbers", async () => {
    await catalog.ensureMeasurements([{ id: 9103, type: "traceroute", description: "demo traceroute" }]);
    // Counts beyond 2^32 check the bigint conversion.
    await pool.query(
      `UPDATE measurements SET result_count = $2, last_result_at = to_timestamp($3) WHERE id = $1`,
      [9102, 5_000_000_000, 1_700_000_100],
    );
    await pool.query(`UPDATE measurements SET result_count = 1, last_result_at = to_timestamp($2) WHERE id = $1`, [
      9103,
      1_700_000_000,
    ]);

    const listed = await catalog.listMeasurements();
    expect(listed.map((m) => m.id)).toEqual([9102, 9103, 9101]);
    expect(listed[0]).toMatchObject({ resultCount: 5_000_000_000, lastResultAt: new Date(1_700_000_100_000) });
    expect((await catalog.listMeasurements(2)).map((m) => m.id)).toEqual([9102, 9103]);
  });
});
