import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createTestDatabase, registerProbe, type TestDatabase, type TestProbe } from "@probestream/testkit";
import { MeasurementStatusId } from "@probestream/types/status";
import { startPlatform, type Platform } from "@probestream/standalone";
import { Spool, silentLogger, startAgent, type Agent, type AgentOptions, type ResultObject } from "../src/index.js";
import { insertMeasurement, storedResults, waitFor } from "./helpers.js";

const ADMIN_TOKEN = "probe-spool-test";
const MSM_ID = 7101;

describe("the spool: nothing is lost while the controller is away", () => {
  let database: TestDatabase;
  let db: pg.Pool;
  let platform: Platform | null = null;
  let ingestPort: number;
  let probe: TestProbe;
  let spoolDir: string;
  const agents: Agent[] = [];
  const produced: ResultObject[] = [];

  const startIngest = async (port: number) => {
    platform = await startPlatform({ databaseUrl: database.url, gatewayPort: 0, ingestPort: port, ingestAdminToken: ADMIN_TOKEN });
    return platform;
  };
  const stopIngest = async () => {
    await platform?.close();
    platform = null;
  };
  const launchAgent = async () => {
    const options: AgentOptions = {
      prbId: probe.prbId,
      secret: probe.secret,
      ingestUrl: `http://127.0.0.1:${ingestPort}`,
      spoolDir,
      addresses: { v4: "192.0.2.20" },
      log: silentLogger,
      retryBaseMs: 200,
      retryMaxMs: 1000,
      onResult: (result) => produced.push(result),
    };
    const agent = await startAgent(options);
    agents.push(agent);
    return agent;
  };
  const storedCount = async () => (await storedResults(db, MSM_ID)).length;

  beforeAll(async () => {
    database = await createTestDatabase("probe_spool");
    db = new pg.Pool({ connectionString: database.url, max: 2 });
    const first = await startIngest(0);
    ingestPort = Number(new URL(first.ingestUrl).port);
    probe = await registerProbe(first.ingestUrl, ADMIN_TOKEN);
    await insertMeasurement(db, {
      id: MSM_ID,
      type: "ping",
      interval: 1,
      status: 2,
      definition: { target: "127.0.0.1", packets: 1 },
      prbIds: [probe.prbId],
    });
    spoolDir = await mkdtemp(join(tmpdir(), "probe-spool-"));
  });

  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await stopIngest();
    await db?.end();
    await database?.drop();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  });

  it("stays within its size bound by dropping the oldest segments, and counts them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "probe-spool-bound-"));
    try {
      const line = { type: "ping", padding: "x".repeat(1000) };
      const spool = new Spool({ dir, batchSize: 10, maxBytes: 25_000, log: silentLogger });
      for (let i = 0; i < 50; i++) spool.append({ ...line, seq: i });
      expect(spool.dropped).toBeGreaterThan(0);
      expect(spool.pending + spool.dropped).toBe(50);
      const batch = spool.nextBatch()!;
      // The newest results survive, the oldest went first.
      expect((batch.results[0] as { seq: number }).seq).toBe(spool.dropped);
      spool.remove(batch);
      spool.close();
      expect(new Spool({ dir, log: silentLogger }).pending).toBe(50 - spool.dropped - batch.results.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps measuring while ingest is down and delivers every result exactly once when it is back", async () => {
    const agent = await launchAgent();
    await waitFor("results to flow", async () => (await storedCount()) >= 2);

    await stopIngest();
    const atOutage = produced.length;
    await waitFor("results to pile up in the spool", () => produced.length >= atOutage + 3 && agent.spool.pending >= 3);
    expect(agent.session.connected).toBe(false);

    await startIngest(ingestPort);
    const atReturn = produced.length;
    await waitFor("the spool to drain", async () => agent.spool.pending === 0 && (await storedCount()) >= atReturn);
  });

  it("an agent restarted with a non-empty spool sends it", async () => {
    await stopIngest();
    const first = agents[0]!;
    const atOutage = produced.length;
    await waitFor("results to pile up in the spool", () => produced.length >= atOutage + 2 && first.spool.pending >= 2);
    await first.stop();
    agents.shift();

    const left = new Spool({ dir: spoolDir, log: silentLogger });
    const spooled = left.pending;
    expect(spooled).toBeGreaterThanOrEqual(2);
    expect((await readdir(spoolDir)).some((name) => name.endsWith(".ndjson"))).toBe(true);

    // The measurement ends while everything is down; the new agent still owes its results.
    await db.query("UPDATE measurements SET stop_time = now() WHERE id = $1", [MSM_ID]);
    await startIngest(ingestPort);
    const second = await launchAgent();
    await waitFor("the controller to take the measurement off the probe", async () => {
      const { rows } = await db.query<{ status: number }>("SELECT status FROM measurements WHERE id = $1", [MSM_ID]);
      return rows[0]?.status === MeasurementStatusId.Stopped && second.session.connected && !second.scheduler.active().includes(MSM_ID);
    });
    await waitFor("the old spool to arrive", async () => second.spool.pending === 0 && (await storedCount()) === produced.length);

    // Exactly once: every produced result is stored, none twice, nothing else.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stored = (await storedResults(db, MSM_ID)).map((body) => JSON.stringify(JSON.parse(body)));
    const expected = produced.filter((result) => result.msm_id === MSM_ID).map((result) => JSON.stringify(result));
    expect(stored.length).toBe(expected.length);
    expect([...stored].sort()).toEqual([...expected].sort());
    expect(new Set(stored).size).toBe(stored.length);
    expect(second.sender.stats.refused).toBe(0);
  });
});
