import { readdirSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import pg from "pg";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../src/embedded-postgres.js";
import { migrate } from "../src/migrate.js";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no TCP port");
  return address.port;
}

let workDir: string | undefined;
let server: EmbeddedPostgres | undefined;

afterAll(async () => {
  await server?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function countMeasurements(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM measurements");
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

it("starts a private PostgreSQL, migrates it, and keeps its data across a restart", async () => {
  workDir = await mkdtemp(join(tmpdir(), "probestream-embedded-pg-"));
  // Under root the server runs as the postgres user, who must be able to reach the data directory.
  await chmod(workDir, 0o755);
  const dataDir = join(workDir, "data");
  const port = await freePort();

  server = await startEmbeddedPostgres({ dataDir, port });
  expect(server.databaseUrl).toBe(`postgres://postgres:postgres@127.0.0.1:${port}/probestream`);
  const shipped = readdirSync(new URL("../migrations", import.meta.url)).filter((f) => f.endsWith(".sql")).sort();
  expect(await migrate(server.databaseUrl)).toEqual(shipped.map((f) => f.replace(/\.sql$/, "")));
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  await client.query("INSERT INTO measurements (id, type) VALUES (1, 'ping')");
  await client.end();
  await server.stop();

  server = await startEmbeddedPostgres({ dataDir, port });
  expect(await migrate(server.databaseUrl)).toEqual([]);
  expect(await countMeasurements(server.databaseUrl)).toBe(1);
  await server.stop();
  server = undefined;
});
