import pg from "pg";

export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

/**
 * The application name of sessions that never write the rows of a log (results, probe status or
 * measurement events): the logs' final horizon does not wait for their transactions (result-log.ts).
 */
export const WRITES_NO_LOG_APPLICATION = "probestream: writes no log";

/**
 * Settings of every session the apps open. No JIT: our queries are short and many, and PostgreSQL
 * compiles any whose estimated cost passes `jit_above_cost`, a cost the probe selection's and the
 * measurement list's plans reach at a few thousand probes or measurements: compiling took 68 ms of a
 * 359 ms probe selection in bench:seed-week (65 ms without JIT).
 */
export const SESSION_OPTIONS = "-c jit=off";

/** A pool; `writesNoLog`: its sessions promise never to write a log's rows (see WRITES_NO_LOG_APPLICATION). */
export function createPool(databaseUrl: string, max = 10, opts: { writesNoLog?: boolean } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl, max, options: SESSION_OPTIONS,
    application_name: opts.writesNoLog ? WRITES_NO_LOG_APPLICATION : undefined,
  });
  // A connection lost while idle must not crash the process: the pool replaces it.
  pool.on("error", () => {});
  // Nor while checked out (a download's cursor, a transaction) when Postgres restarts: pg emits
  // `error` on the client, which has no listener of its own then. The query in flight fails, and
  // its caller releases the client with that error, which discards it.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

export type { Pool, PoolClient } from "pg";
