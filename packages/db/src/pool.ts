import pg from "pg";

export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

export function createPool(databaseUrl: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  // A connection lost while idle must not crash the process: the pool replaces it.
  pool.on("error", () => {});
  // Nor while checked out (a download's cursor, a transaction) when Postgres restarts: pg emits
  // `error` on the client, which has no listener of its own then. The query in flight fails, and
  // its caller releases the client with that error, which discards it.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

export type { Pool, PoolClient } from "pg";
