import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createApiKey, createTestDatabase, type TestDatabase } from "@probestream/testkit";

// Retention with export: downloads of days that were dropped answer the same bytes from the export.
const PUBLIC = 5151;
const PRIVATE = 5252;
const DAY = 86_400;
const TODAY = Math.floor(Date.now() / 1000 / DAY) * DAY;
/** Days (before today) holding results: the first three are past a 30-day retention. */
const DAYS = [40, 39, 31, 30, 0];
const PER_DAY = 150;

let db: TestDatabase;
let dir: string;
let owner: string;
let before: Platform;

const partition = (daysAgo: number) => `results_${new Date((TODAY - daysAgo * DAY) * 1000).toISOString().slice(0, 10).replaceAll("-", "")}`;

/** What a download answers (uncompressed), as bytes. */
async function download(platform: Platform, msm: number, query: string, key?: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(`${platform.gatewayUrl}/api/v2/measurements/${msm}/results/?${query}`, {
    headers: { "accept-encoding": "identity", ...(key ? { authorization: `Key ${key}` } : {}) },
  });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

/** Queries over whole dropped days, into and across them, the whole history, probe limits, both formats. */
const QUERIES: [number, string][] = [];
for (const format of ["json", "txt"]) {
  for (const msm of [PUBLIC, PRIVATE]) {
    QUERIES.push(
      [msm, `format=${format}`],
      [msm, `format=${format}&start=${TODAY - 39 * DAY + 100}&stop=${TODAY - 30 * DAY + 300}`],
      [msm, `format=${format}&start=${TODAY - 40 * DAY}&stop=${TODAY - 40 * DAY + DAY - 1}`],
      [msm, `format=${format}&stop=${TODAY - 31 * DAY + 50}&probe_ids=1001,1003`],
      [msm, `format=${format}&start=${TODAY - 31 * DAY + 60}`],
      [msm, `format=${format}&start=${TODAY - 35 * DAY}&stop=${TODAY - 34 * DAY}`],
    );
  }
}

const answers = new Map<string, Buffer>();

beforeAll(async () => {
  db = await createTestDatabase("api_download_export");
  dir = await mkdtemp(join(tmpdir(), "probestream-export-"));
  ({ key: owner } = await createApiKey(db.url, "owner", ["results:read_private"]));
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: number }>("SELECT id FROM users WHERE name = 'owner'");
    await client.query(
      `INSERT INTO measurements (id, type, description, status, is_public, owner_id)
       VALUES ($1, 'ping', 'public', 2, true, NULL), ($2, 'ping', 'private', 2, false, $3)`,
      [PUBLIC, PRIVATE, rows[0]!.id],
    );
    for (const daysAgo of DAYS) {
      const t0 = TODAY - daysAgo * DAY;
      await client.query("SELECT ensure_results_partition(to_timestamp($1)::date)", [t0]);
      // Several results share a second (ordered by id then), probes interleaved, both measurements.
      await client.query(
        `INSERT INTO results (msm_id, prb_id, ts, type, digest, body)
         SELECT m, 1000 + i % 4, to_timestamp($1::bigint + i / 3), 'ping', decode(md5(m || '-' || i), 'hex'),
                format('{"type":"ping","prb_id":%s,"msm_id":%s,"timestamp":%s,"avg":%s,"result":[{"rtt":%s}]}',
                       1000 + i % 4, m, $1::bigint + i / 3, i, i)::json
         FROM generate_series(0, $2::int - 1) AS i, unnest($3::int[]) AS m`,
        [t0, PER_DAY, [PUBLIC, PRIVATE]],
      );
    }
  } finally {
    await client.end();
  }
  before = await startPlatform({ databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, resultsExportDir: dir });
  for (const [msm, query] of QUERIES) {
    const answer = await download(before, msm, query, owner);
    expect(answer.status).toBe(200);
    answers.set(`${msm}?${query}`, answer.body);
  }
}, 120_000);

afterAll(async () => {
  await before?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function metric(platform: Platform, name: string): Promise<number> {
  const text = await (await fetch(`${platform.ingestUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? Number.NaN : Number(line.split(" ").pop());
}

describe("retention with export", () => {
  it("exports and drops exactly the expired partitions (and says so on /metrics)", async () => {
    const retaining = await startPlatform({
      databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, retentionDays: 30, resultsExportDir: dir,
    });
    try {
      await expect.poll(() => metric(retaining, "ingest_results_partitions_dropped_total"), { timeout: 30_000 }).toBe(3);
      expect(await metric(retaining, "ingest_results_partitions_exported_total")).toBe(3);
      expect(await metric(retaining, "ingest_results_partition_export_failures_total")).toBe(0);
    } finally {
      await retaining.close();
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        "SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NOT NULL",
        [DAYS.map(partition)],
      );
      expect(rows.map((r) => r.name)).toEqual([partition(30), partition(0)]);
    } finally {
      await client.end();
    }
  }, 60_000);

  it("answers every download byte for byte as before the drop", async () => {
    for (const [msm, query] of QUERIES) {
      const answer = await download(before, msm, query, owner);
      expect(answer.status).toBe(200);
      expect(answer.body.equals(answers.get(`${msm}?${query}`)!), `${msm}?${query}`).toBe(true);
    }
    // Not empty, and spanning the exported and the online days.
    const all = answers.get(`${PUBLIC}?format=txt`)!.toString().trimEnd().split("\n");
    expect(all).toHaveLength(DAYS.length * PER_DAY);
    const gzipped = await fetch(`${before.gatewayUrl}/api/v2/measurements/${PUBLIC}/results/?format=txt`);
    expect(gzipped.headers.get("content-encoding")).toBe("gzip");
    expect(await gzipped.text()).toBe(all.join("\n") + "\n");
  });

  it("keeps the access rules: a private measurement's exported days only for its owner's key", async () => {
    const query = `start=${TODAY - 40 * DAY}&stop=${TODAY - 31 * DAY}`;
    expect((await download(before, PRIVATE, query)).status).toBe(403);
    expect((await download(before, PRIVATE, query, owner)).status).toBe(200);
  });

  it("without an export directory answers what is online", async () => {
    const plain = await startPlatform({ databaseUrl: db.url, gatewayPort: 0, ingestPort: 0 });
    try {
      const all = answers.get(`${PUBLIC}?format=txt`)!.toString().trimEnd().split("\n");
      const online = all.filter((line) => (JSON.parse(line) as { timestamp: number }).timestamp >= TODAY - 30 * DAY);
      expect(online).toHaveLength(2 * PER_DAY);
      expect((await download(plain, PUBLIC, "format=txt")).body.toString()).toBe(online.join("\n") + "\n");
      expect((await download(plain, PUBLIC, `format=json&stop=${TODAY - 31 * DAY + DAY - 1}`)).body.toString()).toBe("[]");
    } finally {
      await plain.close();
    }
  });
});
