import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, type Pool } from "@probestream/db";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createApiKey, createTestDatabase, pingResult, postResults, registerProbe, type TestDatabase, type TestProbe } from "@probestream/testkit";

const ADMIN = "test-admin-token";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const NOW = () => Math.floor(Date.now() / 1000);

let db: TestDatabase;
let platform: Platform;
let pool: Pool;
let assigned: TestProbe;
let stranger: TestProbe;
let privateMsm: number;
let publicMsm: number;

async function create(key: string, isPublic: boolean): Promise<number> {
  const res = await fetch(`${platform.gatewayUrl}/api/v2/measurements/?key=${key}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      definitions: [{ type: "ping", af: 4, target: "192.0.2.1", description: "owned", is_public: isPublic }],
      probes: [{ type: "probes", value: String(assigned.prbId), requested: 1 }],
    }),
  });
  const body = (await res.json()) as { measurements: number[] };
  return body.measurements[0]!;
}

const storedOf = async (msmId: number) =>
  Number((await pool.query("SELECT count(*) AS n FROM results WHERE msm_id = $1", [msmId])).rows[0].n);

beforeAll(async () => {
  db = await createTestDatabase("result_admission");
  // Its connections may still be closing when the database is dropped: createPool keeps that from throwing.
  pool = createPool(db.url);
  platform = await startPlatform({
    databaseUrl: db.url, redisUrl: REDIS_URL, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN, maxResultAgeDays: 30,
  });
  assigned = await registerProbe(platform.ingestUrl, ADMIN, 9201);
  stranger = await registerProbe(platform.ingestUrl, ADMIN, 9202);
  const { key } = await createApiKey(db.url, "erin", ["measurements:create", "results:read_private"]);
  privateMsm = await create(key, false);
  publicMsm = await create(key, true);
  // A probe learns of a measurement once the controller has scheduled it on the probe.
  for (let tries = 0; tries < 100; tries++) {
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM measurement_probes WHERE msm_id = ANY($1::int[])", [[privateMsm, publicMsm]]);
    if (rows[0].n === 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  await platform?.close();
  await pool?.end();
  await db?.drop();
});

describe("who may write a user's measurement", () => {
  it("only the probes assigned to it: a stranger's results are refused at msm_id, and nothing is stored", async () => {
    for (const msmId of [privateMsm, publicMsm]) {
      const refused = await postResults(platform.ingestUrl, stranger, [pingResult(stranger.prbId, msmId, NOW())]);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ stored: 0, rejected: [{ index: 0, field: "msm_id" }] });
      expect(await storedOf(msmId)).toBe(0);
      const accepted = await postResults(platform.ingestUrl, assigned, [pingResult(assigned.prbId, msmId, NOW())]);
      expect(accepted.status).toBe(200);
      expect(await storedOf(msmId)).toBe(1);
    }
  });

  it("ids the API will draw are not taken by a probe, while measurements nobody owns stay open", async () => {
    const drawn = await postResults(platform.ingestUrl, stranger, [pingResult(stranger.prbId, privateMsm + 1000, NOW())]);
    expect(drawn.status).toBe(403);
    const open = await postResults(platform.ingestUrl, stranger, [pingResult(stranger.prbId, 4242, NOW())]);
    expect(open.status).toBe(200);
  });
});

describe("bounds of what a result may say", () => {
  it("refuses ids beyond the database's integers and timestamps outside the window, each at its field", async () => {
    const res = await postResults(platform.ingestUrl, stranger, [
      pingResult(stranger.prbId, 2_147_483_648, NOW()),
      { ...pingResult(stranger.prbId, 4243, NOW()), msm_id: "2147483648" },
      pingResult(stranger.prbId, 4243, 9_007_199_254_740_992),
      pingResult(stranger.prbId, 4243, NOW() + 3 * 86_400),
      pingResult(stranger.prbId, 4243, NOW() - 40 * 86_400),
      pingResult(stranger.prbId, 4243, NOW()),
    ]);
    expect(res.status).toBe(422);
    const rejected = (res.body as { rejected: { index: number; field: string }[] }).rejected;
    expect(rejected.map((r) => [r.index, r.field.split("/")[0]])).toEqual([
      [0, "msm_id"], [1, "msm_id"], [2, "timestamp"], [3, "timestamp"], [4, "timestamp"],
    ]);
    expect(await storedOf(4243)).toBe(1);
  });

  it("one probe's bad batch never fails another probe's batch committed at the same time", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? postResults(platform.ingestUrl, assigned, [pingResult(assigned.prbId, publicMsm, NOW() - i)])
          : postResults(platform.ingestUrl, stranger, [pingResult(stranger.prbId, 2_147_483_648, NOW())]),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 200 : 422)));
  });
});
