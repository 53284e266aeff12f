import type { Client, Pool, PoolClient } from "pg";
import { changedSinceExport, exportPartition, partitionDay, readPartitionExport, type PartitionExport } from "./result-export.js";

/** Days of results partitions kept ready: from yesterday (late results) to a week ahead. */
export const PARTITION_DAYS_AHEAD = 9;

export function ensurePartitionsAhead(db: Pool | Client): Promise<unknown> {
  return db.query("SELECT ensure_results_partitions((now() AT TIME ZONE 'utc')::date - 1, $1)", [PARTITION_DAYS_AHEAD]);
}

/** An expired partition that could not be exported: it is kept, and tried again on the next round. */
export class PartitionExportError extends Error {
  constructor(readonly partition: string, cause: unknown) {
    super(`exporting ${partition} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export interface ExpiryOptions {
  /** Export each expired partition here before dropping it (see result-export.ts); default: drop only. */
  exportDir?: string;
  onExported?: (exported: PartitionExport) => void;
  onDropped?: (partition: string) => void;
}

/** Session lock key: one process at a time expires partitions (ingest runs in many). */
const EXPIRY_LOCK = "hashtext('results_partition_expiry')";

/**
 * Drops the daily partitions of results older than `keepDays` whole days before today (UTC): the
 * day of today minus `keepDays` and later stay. Oldest first, each is exported first when
 * `exportDir` is set (and kept when that fails: `PartitionExportError`, the round stops there, so
 * what is exported is always older than what is online), detached concurrently, so that writers
 * and readers of the other days are not blocked, then dropped whole. A partition left detached by
 * an earlier round that was cut short is finished the same way. Returns the names dropped; none
 * when another process holds the round.
 */
export async function dropExpiredPartitions(pool: Pool, keepDays: number, opts: ExpiryOptions = {}): Promise<string[]> {
  const session = await pool.connect();
  let locked = false;
  try {
    const { rows } = await session.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${EXPIRY_LOCK}) AS locked`);
    locked = rows[0]!.locked;
    return locked ? await expire(pool, session, keepDays, opts) : [];
  } finally {
    // Never back to the pool holding the lock: a session that cannot unlock is closed (the lock goes with it).
    const unlocked = !locked || (await session.query(`SELECT pg_advisory_unlock(${EXPIRY_LOCK})`).then(() => true, () => false));
    session.release(unlocked ? undefined : new Error("could not release the partition expiry lock"));
  }
}

async function expire(pool: Pool, session: PoolClient, keepDays: number, opts: ExpiryOptions): Promise<string[]> {
  const { rows } = await session.query<{ name: string; attached: boolean; pending: boolean }>(
    `SELECT c.relname AS name, i.inhrelid IS NOT NULL AS attached, COALESCE(i.inhdetachpending, false) AS pending
     FROM pg_class c LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = 'results'::regclass
     WHERE c.relkind = 'r' AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'results'::regclass)
       AND c.relname ~ '^results_[0-9]{8}$'
       AND to_date(substr(c.relname, 9), 'YYYYMMDD') < (now() AT TIME ZONE 'utc')::date - $1::int
     ORDER BY c.relname`,
    [keepDays],
  );
  const dropped: string[] = [];
  for (const { name, attached, pending } of rows) {
    let exported: PartitionExport | undefined;
    if (opts.exportDir !== undefined) {
      // A detached leftover may already have its export: kept unless rows came after it.
      exported = attached ? undefined : await readPartitionExport(opts.exportDir, partitionDay(name));
      if (exported && (await changedSinceExport(session, exported))) exported = undefined;
      if (!exported) exported = await exportOrThrow(pool, opts.exportDir, name);
    }
    if (pending) await session.query(`ALTER TABLE results DETACH PARTITION ${name} FINALIZE`);
    else if (attached) await session.query(`ALTER TABLE results DETACH PARTITION ${name} CONCURRENTLY`);
    // Nothing is written to a detached table: a row that came after the export (an ingest without
    // the retention) is in it now, and the export is made again from it before the drop.
    if (exported && (await changedSinceExport(session, exported))) exported = await exportOrThrow(pool, opts.exportDir!, name);
    if (exported) opts.onExported?.(exported);
    await session.query(`DROP TABLE ${name}`);
    dropped.push(name);
    opts.onDropped?.(name);
  }
  return dropped;
}

function exportOrThrow(pool: Pool, dir: string, partition: string): Promise<PartitionExport> {
  return exportPartition(pool, dir, partition).catch((err: unknown) => {
    throw new PartitionExportError(partition, err);
  });
}

export interface PartitionUpkeep extends ExpiryOptions {
  /** Keep this many whole days before today; older partitions are dropped (default: keep all). */
  retentionDays?: number;
  /** Told an expired partition whose export failed (it is kept and tried again next round). */
  onExportFailed?: (err: PartitionExportError) => void;
  everyMs?: number;
}

/**
 * Keeps daily partitions created ahead while the process runs (hourly), so that live results never
 * wait for DDL, however long ingest stays up, and with a retention exports (optionally) and drops
 * the expired days. Returns the function that stops it.
 */
export function maintainPartitions(pool: Pool, onError: (err: unknown) => void, upkeep: PartitionUpkeep = {}): () => void {
  const { retentionDays, onExportFailed, everyMs = 3_600_000, ...expiry } = upkeep;
  let running = false;
  // One round at a time: a round slower than the period is not joined by another.
  const round = () => {
    if (running) return;
    running = true;
    ensurePartitionsAhead(pool)
      .then(async () => {
        if (retentionDays !== undefined) await dropExpiredPartitions(pool, retentionDays, expiry);
      })
      .catch((err: unknown) => (err instanceof PartitionExportError && onExportFailed ? onExportFailed(err) : onError(err)))
      .finally(() => (running = false));
  };
  const timer = setInterval(round, everyMs);
  timer.unref();
  round();
  return () => clearInterval(timer);
}
