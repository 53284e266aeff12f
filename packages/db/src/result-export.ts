import type { Pool, PoolClient } from "pg";
import Cursor from "pg-cursor";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream";
import { createGunzip, createGzip, type Gzip } from "node:zlib";
import { SERVED_JSON_SQL } from "./result-log.js";

/*
 * Results exported before their partition is dropped. Layout, one directory per day (partition):
 *
 *   <dir>/<YYYYMMDD>/<msm_id>.ndjson.gz   the measurement's results of that day, one served JSON per
 *                                          line (exactly what the download API gives), in (ts, id) order
 *   <dir>/<YYYYMMDD>/index.json           what the day holds (written last)
 *
 * A day's directory appears complete or not at all: it is written under a temporary name, every
 * file fsynced, then renamed into place. A download of one measurement and time range opens only
 * that measurement's files of the days in the range. Compression is gzip through node:zlib
 * streams, which every platform and `zcat` read.
 */

export interface PartitionExport {
  partition: string;
  /** YYYYMMDD, the directory's name. */
  day: string;
  exportedAt: string;
  results: number;
  /** Results per measurement id. */
  measurements: Record<string, number>;
  /** The snapshot the export read (pg_snapshot text): rows not visible in it were not exported. */
  snapshot: string;
}

const MANIFEST = "index.json";
const DAY = /^\d{8}$/;

/** The day of a daily results partition (`results_YYYYMMDD`). */
export function partitionDay(partition: string): string {
  return partition.slice("results_".length);
}

/** Unix seconds at the start (UTC) of a YYYYMMDD day. */
function dayStart(day: string): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8))) / 1000;
}

/** The YYYYMMDD day of a Unix second. */
function dayOf(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10).replaceAll("-", "");
}

/** Flushes a file or directory to disk. */
async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** One gzip file being written, with backpressure. */
class GzipFile {
  private readonly gzip: Gzip = createGzip();
  private readonly done: Promise<void>;

  constructor(readonly path: string) {
    const file = createWriteStream(path, { flags: "wx" });
    this.gzip.pipe(file);
    this.done = new Promise((resolve, reject) => {
      file.once("close", resolve);
      file.once("error", reject);
      this.gzip.once("error", reject);
    });
    // Reported through `close`; kept from being unhandled when a write fails first.
    this.done.catch(() => {});
  }

  async write(text: string): Promise<void> {
    if (!this.gzip.write(text)) await Promise.race([once(this.gzip, "drain"), this.done]);
  }

  async close(): Promise<void> {
    this.gzip.end();
    await this.done;
    await fsyncPath(this.path);
  }

  destroy(): void {
    this.gzip.destroy();
  }
}

/**
 * Writes one daily partition (attached or detached) to `<dir>/<YYYYMMDD>/`, replacing an earlier
 * export of it, and returns what it wrote once all of it is on disk. Rows are read through a
 * cursor in one repeatable-read snapshot, so memory stays flat and the export is one consistent
 * state of the day.
 */
export async function exportPartition(pool: Pool, dir: string, partition: string, batchRows = 1000): Promise<PartitionExport> {
  const day = partitionDay(partition);
  if (!DAY.test(day)) throw new Error(`not a daily results partition: ${partition}`);
  await mkdir(dir, { recursive: true });
  // What an export of this day cut short (a crash) left behind: callers export one at a time
  // (dropExpiredPartitions holds a lock).
  for (const name of await readdir(dir)) {
    if (name.startsWith(`.partial-${day}-`)) await rm(join(dir, name), { recursive: true, force: true });
  }
  const tmp = join(dir, `.partial-${day}-${randomBytes(6).toString("hex")}`);
  await mkdir(tmp);
  const client = await pool.connect();
  let file: GzipFile | undefined;
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const { rows: [taken] } = await client.query<{ snapshot: string }>("SELECT pg_current_snapshot()::text AS snapshot");
    const snapshot = taken!.snapshot;
    const measurements: Record<string, number> = {};
    let results = 0;
    const cursor = client.query(new Cursor<{ msm_id: number; json: string }>(
      `SELECT msm_id, ${SERVED_JSON_SQL} AS json FROM ${partition} ORDER BY msm_id, ts, id`,
    ));
    let msm: number | undefined;
    for (let rows = await cursor.read(batchRows); rows.length > 0; rows = await cursor.read(batchRows)) {
      let lines = "";
      for (const row of rows) {
        if (row.msm_id !== msm) {
          if (lines !== "") await file!.write(lines);
          lines = "";
          await file?.close();
          msm = row.msm_id;
          file = new GzipFile(join(tmp, `${msm}.ndjson.gz`));
          measurements[msm] = 0;
        }
        lines += `${row.json}\n`;
        measurements[msm] = measurements[msm]! + 1;
        results++;
      }
      await file!.write(lines);
    }
    await cursor.close();
    await file?.close();
    file = undefined;
    await client.query("COMMIT");
    const manifest: PartitionExport = { partition, day, exportedAt: new Date().toISOString(), results, measurements, snapshot };
    await writeFile(join(tmp, MANIFEST), `${JSON.stringify(manifest)}\n`);
    await fsyncPath(join(tmp, MANIFEST));
    await fsyncPath(tmp);
    await replaceDirectory(tmp, join(dir, day));
    await fsyncPath(dir);
    return manifest;
  } catch (err) {
    file?.destroy();
    await client.query("ROLLBACK").catch(() => {});
    await rm(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    client.release();
  }
}

/** Renames `from` to `to`, moving an earlier `to` out of the way first (a directory cannot be renamed over). */
async function replaceDirectory(from: string, to: string): Promise<void> {
  const stale = `${from}-stale`;
  const hadOne = await rename(to, stale).then(() => true, (err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return false;
    throw err;
  });
  await rename(from, to);
  if (hadOne) await rm(stale, { recursive: true, force: true });
}

/** The export of a day, when there is a complete one. */
export async function readPartitionExport(dir: string, day: string): Promise<PartitionExport | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, day, MANIFEST), "utf8")) as PartitionExport;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Whether rows were added to a partition after its export read it (none should be: ingest refuses
 * results older than the retention): any row whose transaction the export's snapshot did not see.
 * Reads the partition's `(tx, id)` index from the snapshot's horizon on, not the whole day.
 */
export async function changedSinceExport(db: Pool | PoolClient, exported: PartitionExport): Promise<boolean> {
  const { rows } = await db.query<{ changed: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${exported.partition}
       WHERE tx >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(tx, $1::pg_snapshot)) AS changed`,
    [exported.snapshot],
  );
  return rows[0]!.changed;
}

/** A part of a download served from the export: one day of one measurement. */
export interface ExportedDay {
  day: string;
  /** Unix seconds, inclusive: the day's first and last second. */
  start: number;
  stop: number;
  path: string;
}

/**
 * The days of a measurement's results in the export between `start` and `stop` (Unix seconds,
 * inclusive; open ends allowed), oldest first. Only complete exports count.
 */
export async function exportedDays(dir: string, msmId: number, start?: number, stop?: number): Promise<ExportedDay[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const first = start === undefined ? undefined : dayOf(start);
  const last = stop === undefined ? undefined : dayOf(stop);
  const days: ExportedDay[] = [];
  for (const day of names.filter((n) => DAY.test(n)).sort()) {
    if ((first !== undefined && day < first) || (last !== undefined && day > last)) continue;
    const path = join(dir, day, `${msmId}.ndjson.gz`);
    const present = await stat(path).then(() => true, (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return false;
      throw err;
    });
    if (present) days.push({ day, start: dayStart(day), stop: dayStart(day) + 86_399, path });
  }
  return days;
}

/**
 * Reads an exported day of a measurement as batches of served JSON results, limited to
 * `start`..`stop` (inclusive) and to `probeIds` when given. Lines are parsed only when a limit
 * cuts into the day; the file is in timestamp order, so reading stops past `stop`.
 */
export async function* readExportedDay(
  day: ExportedDay, start?: number, stop?: number, probeIds?: number[], batchRows = 1000,
): AsyncGenerator<string[]> {
  const from = Math.max(start ?? day.start, day.start);
  const to = Math.min(stop ?? day.stop, day.stop);
  const probes = probeIds && new Set(probeIds);
  const whole = from === day.start && to === day.stop && !probes;
  const gunzip = createGunzip();
  // A file error reaches the reader through the pipeline (it destroys the gunzip stream with it).
  pipeline(createReadStream(day.path), gunzip, () => {});
  const lines = createInterface({ input: gunzip, crlfDelay: Infinity });
  let batch: string[] = [];
  try {
    for await (const line of lines) {
      if (!whole) {
        const result = JSON.parse(line) as { timestamp: number; prb_id: number };
        if (result.timestamp > to) break;
        if (result.timestamp < from || (probes && !probes.has(result.prb_id))) continue;
      }
      batch.push(line);
      if (batch.length >= batchRows) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    lines.close();
    gunzip.destroy();
  }
}
