import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { migrate } from "@probestream/db";
import { freePort } from "./net.js";

const run = promisify(execFile);

/** The newest PostgreSQL server binaries installed the Debian way, or PG_BIN. */
function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error(`no PostgreSQL server binaries under ${root} (set PG_BIN)`);
  return join(root, versions[0], "bin");
}

/**
 * A throwaway PostgreSQL cluster (initdb + pg_ctl) on a free loopback port, with one migrated
 * database, that a test can stop (an outage), start and restart. PostgreSQL refuses to run as root,
 * so under root the server runs as the `postgres` system user.
 */
export class PrivateCluster {
  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  static async create(): Promise<PrivateCluster> {
    const base = mkdtempSync(join(tmpdir(), "probestream-faults-pg-"));
    const cluster = new PrivateCluster(join(base, "data"), await freePort(), postgresBin());
    if (process.getuid?.() === 0) {
      const { stdout } = await run("id", ["-u", "postgres"]);
      const { stdout: gid } = await run("id", ["-g", "postgres"]);
      chownSync(base, Number(stdout.trim()), Number(gid.trim()));
    }
    await cluster.pg("initdb", ["-D", cluster.dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]);
    await cluster.start();
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    await admin.query("CREATE DATABASE probestream");
    await admin.end();
    await migrate(cluster.url, () => {});
    return cluster;
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/probestream`;
  }

  private async pg(tool: string, args: string[]): Promise<void> {
    const path = join(this.bin, tool);
    if (process.getuid?.() === 0) await run("runuser", ["-u", "postgres", "--", path, ...args], { cwd: "/" });
    else await run(path, args);
  }

  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      "-c listen_addresses=127.0.0.1",
      "-c unix_socket_directories=''",
      "-c fsync=off",
      "-c synchronous_commit=off",
      "-c full_page_writes=off",
      "-c max_connections=200",
    ].join(" ");
    await this.pg("pg_ctl", ["-D", this.dataDir, "-o", options, "-l", join(this.dataDir, "server.log"), "-w", "-t", "60", "start"]);
  }

  /** `fast` ends every session (as a restart does); `immediate` is a crash. */
  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    await this.pg("pg_ctl", ["-D", this.dataDir, "-m", mode, "-w", "-t", "60", "stop"]);
  }

  async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Stops the server if it runs and removes the cluster's files. */
  async destroy(): Promise<void> {
    await this.stop("immediate").catch(() => {});
    rmSync(join(this.dataDir, ".."), { recursive: true, force: true });
  }
}
