/**
 * Retention export: how fast an expired daily partition is exported (gzip, one served result per
 * line per measurement), how large the export is next to the partition on disk, the memory the
 * export takes, and how fast downloads read the day back from the export next to reading it from
 * PostgreSQL. Results are the simulator's (the six demo measurements, 1,000 probes), all on one day
 * 40 days ago, stored through the writer. Baseline, same run: the download of the same day online.
 *
 *   npx tsx bench/retention-export.ts [results per type=20000]
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createPool, dropExpiredPartitions, ResultReader, ResultWriter, type PartitionExport,
} from "@probestream/db";
import { createProbeProfiles, DEFAULT_MEASUREMENTS, Random } from "@probestream/simulator";
import { createTestDatabase } from "@probestream/testkit";
import { storeSimulatedDay } from "./simulated-results.js";

const PER_TYPE = Number(process.argv[2] ?? 20_000);
const PROBES = 1000;
const DAY = 86_400;

/** Reads every result of the measurements through the download path; results/s. */
async function downloadRate(reader: ResultReader, msmIds: number[]): Promise<{ results: number; perSecond: number }> {
  const started = process.hrtime.bigint();
  let results = 0;
  for (const msmId of msmIds) {
    for await (const batch of await reader.stream({ msmId })) results += (batch as string[]).length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { results, perSecond: Math.round(results / seconds) };
}

const db = await createTestDatabase("bench_retention_export");
const pool = createPool(db.url, 4);
const dir = await mkdtemp(join(tmpdir(), "probestream-export-bench-"));
try {
  const writer = new ResultWriter(pool);
  const probes = createProbeProfiles(PROBES, 10_000);
  const random = new Random(7);
  const day = Math.floor(Date.now() / 1000 / DAY) * DAY - 40 * DAY;
  const partition = `results_${new Date(day * 1000).toISOString().slice(0, 10).replaceAll("-", "")}`;
  for (const measurement of DEFAULT_MEASUREMENTS) {
    await storeSimulatedDay(writer, measurement, probes, random, day, PER_TYPE);
  }
  await pool.query(`VACUUM ANALYZE ${partition}`);
  const { rows } = await pool.query<{ bytes: string }>("SELECT pg_total_relation_size($1) AS bytes", [partition]);
  const onDisk = Number(rows[0]!.bytes);
  const msmIds = DEFAULT_MEASUREMENTS.map((m) => m.id);
  const online = await downloadRate(new ResultReader(pool), msmIds);

  let peakRss = 0;
  let peakHeap = 0;
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const { rss, heapUsed } = process.memoryUsage();
    peakRss = Math.max(peakRss, rss);
    peakHeap = Math.max(peakHeap, heapUsed);
  }, 10);
  const started = process.hrtime.bigint();
  let exported: PartitionExport | undefined;
  let exportSeconds = 0;
  await dropExpiredPartitions(pool, 30, {
    exportDir: dir,
    onExported: (e) => {
      exported = e;
      exportSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  let exportBytes = 0;
  const dayDir = join(dir, partition.slice("results_".length));
  for (const name of await readdir(dayDir)) exportBytes += (await stat(join(dayDir, name))).size;
  const fromExport = await downloadRate(new ResultReader(pool, { exportDir: dir }), msmIds);

  const results = exported!.results;
  console.log(`results: ${results} (${PER_TYPE} per type, six types, one day)`);
  console.log(`export (with the detach): ${exportSeconds.toFixed(2)} s, ${Math.round(results / exportSeconds)} results/s; with the drop ${seconds.toFixed(2)} s; growth of RSS ${((peakRss - rssBefore) / 2 ** 20).toFixed(1)} MiB, of the heap ${((peakHeap - heapBefore) / 2 ** 20).toFixed(1)} MiB`);
  console.log(`partition on disk: ${onDisk} bytes (${Math.round(onDisk / results)} a result); export: ${exportBytes} bytes (${Math.round(exportBytes / results)} a result, ${(onDisk / exportBytes).toFixed(1)}x smaller)`);
  console.log(`download of the day, online (baseline): ${online.perSecond} results/s (${online.results}); from the export: ${fromExport.perSecond} results/s (${fromExport.results})`);
} finally {
  await pool.end();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
}
