import { fileURLToPath } from "node:url";
import pg from "pg";
import { ensurePartitionsAhead, PARTITION_DAYS_AHEAD } from "./partition-maintenance.js";

/** The SQL migrations ship beside the compiled code: dist/../migrations, as src/../migrations. */
const MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));

/**
 * Applies the pending SQL migrations, then makes sure the results partitions around today exist.
 * Returns the names of the migrations it applied (none when the schema is current). Concurrent
 * callers queue on node-pg-migrate's advisory lock instead of failing on it, so services may all
 * migrate at start-up.
 */
export async function migrate(
  databaseUrl: string,
  log: (msg: string) => void = () => {},
): Promise<string[]> {
  // Loaded here, not with the package: the services that never migrate (gateways, workers) would carry
  // node-pg-migrate and its file globbing in memory for nothing.
  const { PG_MIGRATE_LOCK_ID, runner } = await import("node-pg-migrate");
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // node-pg-migrate's own lock is try-or-fail; waiting for the same lock key here means a second
    // caller runs after the first and finds nothing to do.
    await client.query("SELECT pg_advisory_lock($1)", [String(PG_MIGRATE_LOCK_ID)]);
    const applied = await runner({
      dbClient: client,
      noLock: true,
      dir: MIGRATIONS_DIR,
      migrationsTable: "pgmigrations",
      direction: "up",
      log,
    });
    await ensurePartitionsAhead(client);
    log(`results partitions ensured for ${PARTITION_DAYS_AHEAD} days from yesterday (UTC)`);
    return applied.map((m) => m.name);
  } finally {
    await client.end();
  }
}
