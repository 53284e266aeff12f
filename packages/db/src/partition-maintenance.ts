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
  let running = false;
  // One round at a time: a round slower than the period is not joined by another.
  const round = () => {
    if (running) return;
    running = true;
    ensurePartitionsAhead(pool)
      .catch(onError)
      .finally(() => (running = false));
  };
  const timer = setInterval(round, everyMs);
  timer.unref();
  round();
  return () => clearInterval(timer);
}
