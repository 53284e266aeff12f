/**
 * Storage size: bytes on disk per stored result, for each result type (heap, TOAST, each index),
 * with the JSON bodies compressed by PostgreSQL's default (pglz) and by lz4, and what a day at RIPE
 * Atlas's 2,500 results/s takes. Results are the simulator's (the six demo measurements, 1,000
 * probes), stored through the writer, each type in its own daily partition; sizes after VACUUM.
 * Baseline, same run: the bytes of the results' JSON itself.
 *
 *   npx tsx bench/storage-size.ts [results per type=20000]
 */
import pg from "pg";
import { createPool, ResultWriter } from "@probestream/db";
import { createProbeProfiles, DEFAULT_MEASUREMENTS, Random } from "@probestream/simulator";
import { createTestDatabase } from "@probestream/testkit";
import { storeSimulatedDay } from "./simulated-results.js";

const PER_TYPE = Number(process.argv[2] ?? 20_000);
const PROBES = 1000;
const RIPE_RATE = 2500;
const DAY = 86_400;

interface TypeSize {
  type: string;
  rows: number;
  json: number;
  heap: number;
  toast: number;
  indexes: Record<string, number>;
}

/**
 * Stores PER_TYPE results of each demo measurement, type i on the day i + 2 days ago, with the
 * body's compression method and the row size from which PostgreSQL compresses (its default
 * `toast_tuple_target` is about 2 KB, so a typical result is stored uncompressed); returns the
 * sizes per type.
 */
async function measure(compression: "pglz" | "lz4", compressFrom?: number): Promise<TypeSize[]> {
  const db = await createTestDatabase(`bench_storage_${compression}`);
  const pool = createPool(db.url, 4);
  try {
    await pool.query(`ALTER TABLE results ALTER COLUMN body SET COMPRESSION ${compression}`);
    const writer = new ResultWriter(pool);
    const probes = createProbeProfiles(PROBES, 10_000);
    const random = new Random(7);
    const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
    for (const [i, measurement] of DEFAULT_MEASUREMENTS.entries()) {
      const day = today - (i + 2) * DAY;
      const date = new Date(day * 1000).toISOString().slice(0, 10);
      await pool.query("SELECT ensure_results_partition($1::date)", [date]);
      if (compressFrom !== undefined) await pool.query(`ALTER TABLE results_${date.replaceAll("-", "")} SET (toast_tuple_target = ${compressFrom})`);
      await storeSimulatedDay(writer, measurement, probes, random, day, PER_TYPE);
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query("VACUUM ANALYZE results");
      const sizes: TypeSize[] = [];
      for (const [i, measurement] of DEFAULT_MEASUREMENTS.entries()) {
        const date = new Date((today - (i + 2) * DAY) * 1000).toISOString().slice(0, 10).replaceAll("-", "");
        const partition = `results_${date}`;
        const { rows } = await client.query<{ rows: string; json: string; heap: string; total: string; indexes: string }>(
          `SELECT count(*) AS rows, sum(octet_length(body::text)) AS json, pg_relation_size($1::regclass) AS heap,
                  pg_total_relation_size($1::regclass) AS total, pg_indexes_size($1::regclass) AS indexes
           FROM ${partition}`,
          [partition],
        );
        const r = rows[0]!;
        const indexes = await client.query<{ name: string; bytes: string }>(
          `SELECT c.relname AS name, pg_relation_size(c.oid) AS bytes FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE i.indrelid = $1::regclass ORDER BY c.relname`,
          [partition],
        );
        sizes.push({
          type: measurement.type,
          rows: Number(r.rows),
          json: Number(r.json),
          heap: Number(r.heap),
          toast: Number(r.total) - Number(r.heap) - Number(r.indexes),
          indexes: Object.fromEntries(indexes.rows.map((x) => [x.name.replace(`${partition}_`, ""), Number(x.bytes)])),
        });
      }
      return sizes;
    } finally {
      await client.end();
    }
  } finally {
    await pool.end();
    await db.drop();
  }
}

const total = (s: TypeSize) => s.heap + s.toast + Object.values(s.indexes).reduce((a, b) => a + b, 0);
const perRow = (bytes: number, s: TypeSize) => (bytes / s.rows).toFixed(0).padStart(6);

console.log(`${PER_TYPE} simulated results per type from ${PROBES} probes, stored by the writer, sizes after VACUUM (bytes per result)`);
const runs = {
  "pglz (default)": await measure("pglz"),
  lz4: await measure("lz4"),
  "lz4, rows compressed from 128 bytes": await measure("lz4", 128),
};
for (const [compression, sizes] of Object.entries(runs)) {
  console.log(`body compression ${compression}:`);
  console.log(`  ${"type".padEnd(11)} ${"JSON".padStart(6)} ${"heap".padStart(6)} ${"TOAST".padStart(6)} ${"indexes".padStart(7)} ${"total".padStart(6)}  ratio total / JSON   indexes`);
  for (const s of sizes) {
    const indexes = Object.entries(s.indexes).map(([name, bytes]) => `${name} ${(bytes / s.rows).toFixed(0)}`).join(", ");
    const indexBytes = Object.values(s.indexes).reduce((a, b) => a + b, 0);
    console.log(
      `  ${s.type.padEnd(11)} ${perRow(s.json, s)} ${perRow(s.heap, s)} ${perRow(s.toast, s)} ${perRow(indexBytes, s).padStart(7)} ${perRow(total(s), s)}` +
        `  ${(total(s) / s.json).toFixed(2).padStart(18)}   ${indexes}`,
    );
  }
  // A day at RIPE's rate, the six types in equal shares.
  const perResult = sizes.reduce((sum, s) => sum + total(s) / s.rows, 0) / sizes.length;
  const perDay = perResult * RIPE_RATE * DAY;
  console.log(`  a day at ${RIPE_RATE} results/s (${((RIPE_RATE * DAY) / 1e6).toFixed(0)} M results, the six types in equal shares): ${(perDay / 1e9).toFixed(1)} GB`);
}
