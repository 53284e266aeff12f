import type { Client, Pool } from "pg";

/** Days of results partitions kept ready: from yesterday (late results) to a week ahead. */
export const PARTITION_DAYS_AHEAD = 9;

export function ensurePartitionsAhead(db: Pool | Client): Promise<unknown> {
  return db.query("SELECT ensure_results_partitions((now() AT TIME ZONE 'utc')::date - 1, $1)", [PARTITION_DAYS_AHEAD]);
}

/**
 * Keeps daily partitions created ahead while the process runs (hourly), so that live results never
 * wait for DDL, however long ingest stays up. Returns the function that stops it.
 */
export function maintainPartitions(pool: Pool, onError: (err: unknown) => void, everyMs = 3_600_000): () => void {
  const timer = setInterval(() => void ensurePartitionsAhead(pool).catch(onError), everyMs);
  timer.unref();
  void ensurePartitionsAhead(pool).catch(onError);
  return () => clearInterval(timer);
}
