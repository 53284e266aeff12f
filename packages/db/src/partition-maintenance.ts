import type { Client, Pool } from "pg";

/** Days of results partitions kept ready: from yesterday (late results) to a week ahead. */
export const PARTITION_DAYS_AHEAD = 9;

export function ensurePartitionsAhead(db: Pool | Client): Promise<unknown> {
  return db.query("SELECT ensure_results_partitions((now() AT TIME ZONE 'utc')::date - 1, $1)", [PARTITION_DAYS_AHEAD]);
}

/**
 * Drops the daily partitions of results older than `keepDays` whole days before today (UTC): the
 * day of today minus `keepDays` and later stay. Each is detached concurrently first, so that
 * writers and readers of the other days are not blocked, then dropped whole. Returns their names.
 */
export async function dropExpiredPartitions(pool: Pool, keepDays: number): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'results'::regclass AND c.relname ~ '^results_[0-9]{8}$'
       AND to_date(substr(c.relname, 9), 'YYYYMMDD') < (now() AT TIME ZONE 'utc')::date - $1::int
     ORDER BY c.relname`,
    [keepDays],
  );
  for (const { name } of rows) {
    await pool.query(`ALTER TABLE results DETACH PARTITION ${name} CONCURRENTLY`);
    await pool.query(`DROP TABLE ${name}`);
  }
  return rows.map((r) => r.name);
}

export interface PartitionUpkeep {
  /** Keep this many whole days before today; older partitions are dropped (default: keep all). */
  retentionDays?: number;
  /** Told the partitions dropped in a round. */
  onDropped?: (names: string[]) => void;
  everyMs?: number;
}

/**
 * Keeps daily partitions created ahead while the process runs (hourly), so that live results never
 * wait for DDL, however long ingest stays up, and with a retention drops the expired days. Returns
 * the function that stops it.
 */
export function maintainPartitions(pool: Pool, onError: (err: unknown) => void, upkeep: PartitionUpkeep = {}): () => void {
  const { retentionDays, onDropped, everyMs = 3_600_000 } = upkeep;
  let running = false;
  // One round at a time: a round slower than the period is not joined by another.
  const round = () => {
    if (running) return;
    running = true;
    ensurePartitionsAhead(pool)
      .then(async () => {
        if (retentionDays === undefined) return;
        const dropped = await dropExpiredPartitions(pool, retentionDays);
        if (dropped.length > 0) onDropped?.(dropped);
      })
      .catch(onError)
      .finally(() => (running = false));
  };
  const timer = setInterval(round, everyMs);
  timer.unref();
  round();
  return () => clearInterval(timer);
}
