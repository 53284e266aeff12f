import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createTestDatabase, registerProbe, type TestDatabase, type TestProbe } from "@probestream/testkit";
import { startPlatform, type Platform } from "@probestream/standalone";
import { validateResult } from "@probestream/types";
import { ProbeStatusId } from "@probestream/types/status";
import { silentLogger, startAgent, type Agent, type ResultObject } from "../src/index.js";
import { insertMeasurement, storedResults, waitFor } from "./helpers.js";

const ADMIN_TOKEN = "probe-agent-test";

describe("probe agent against the real platform", () => {
  let database: TestDatabase;
  let db: pg.Pool;
  let platform: Platform;
  let probe: TestProbe;
  let agent: Agent;
  let spoolDir: string;
  const produced: ResultObject[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("probe_agent");
    db = new pg.Pool({ connectionString: database.url, max: 2 });
    platform = await startPlatform({ databaseUrl: database.url, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN_TOKEN });
    probe = await registerProbe(platform.ingestUrl, ADMIN_TOKEN);
    spoolDir = await mkdtemp(join(tmpdir(), "probe-agent-"));
    agent = await startAgent({
      prbId: probe.prbId,
      secret: probe.secret,
      ingestUrl: platform.ingestUrl,
      spoolDir,
      firmware: 5010,
      addresses: { v4: "192.0.2.10" },
      log: silentLogger,
      retryBaseMs: 200,
      retryMaxMs: 1000,
      onResult: (result) => produced.push(result),
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await platform?.close();
    await db?.end();
    await database?.drop();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  });

  it("connects with its secret and reports its firmware", async () => {
    await waitFor("the session", () => agent.session.connected);
    await waitFor("the probe to be connected", async () => {
      const { rows } = await db.query<{ status: number; firmware: number | null }>(
        "SELECT status, firmware FROM probes WHERE id = $1",
        [probe.prbId],
      );
      return rows[0]?.status === ProbeStatusId.Connected && rows[0]?.firmware === 5010;
    });
  });

  it("gets a new measurement from the controller, runs it on schedule, and its results reach the database", async () => {
    // Scheduled, starting now: the controller starts it and tells the connected probe.
    await insertMeasurement(db, {
      id: 7001,
      type: "ping",
      interval: 2,
      status: 1,
      definition: { target: "127.0.0.1", packets: 2, packet_interval: 200 },
      prbIds: [probe.prbId],
    });
    await waitFor("the assignment", () => agent.scheduler.active().includes(7001));
    await waitFor("two stored results", async () => (await storedResults(db, 7001)).length >= 2, 15_000);

    const stored = (await storedResults(db, 7001)).map((body) => JSON.parse(body) as Record<string, unknown>);
    for (const result of stored) {
      expect(validateResult(result).ok).toBe(true);
      expect(result).toMatchObject({
        type: "ping",
        msm_id: 7001,
        prb_id: probe.prbId,
        fw: 5010,
        from: "192.0.2.10",
        dst_addr: "127.0.0.1",
        sent: 2,
        rcvd: 2,
        step: 2,
      });
    }
    // Periodic: consecutive runs are one interval apart.
    const times = stored.map((result) => result.timestamp as number).sort();
    expect(times[1]! - times[0]!).toBe(2);
  });

  it("runs a one-off once; the controller then stops it and the probe drops it", async () => {
    await insertMeasurement(db, {
      id: 7002,
      type: "traceroute",
      interval: null,
      isOneoff: true,
      status: 1,
      definition: { target: "127.0.0.1", protocol: "ICMP", max_hops: 3, timeout: 1000 },
      prbIds: [probe.prbId],
    });
    await waitFor("the one-off result", async () => (await storedResults(db, 7002)).length === 1, 15_000);
    await waitFor("the one-off to leave the probe's list", () => !agent.scheduler.active().includes(7002), 10_000);
    const [body] = await storedResults(db, 7002);
    const traceroute = JSON.parse(body!) as { type: string; proto: string; result: { hop: number; result: { from: string }[] }[] };
    expect(traceroute).toMatchObject({ type: "traceroute", proto: "ICMP", from: "192.0.2.10" });
    expect(traceroute.result.map((hop) => hop.hop)).toEqual([1]);
    expect(traceroute.result[0]!.result.map((reply) => reply.from)).toEqual(["127.0.0.1", "127.0.0.1", "127.0.0.1"]);
    expect(produced.filter((result) => result.msm_id === 7002)).toHaveLength(1);
  });

  it("stops a measurement the controller no longer lists", async () => {
    await db.query("UPDATE measurements SET stop_time = now() WHERE id = 7001");
    await waitFor("the stop to reach the probe", () => !agent.scheduler.active().includes(7001), 10_000);
    const count = produced.filter((result) => result.msm_id === 7001).length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(produced.filter((result) => result.msm_id === 7001).length).toBeLessThanOrEqual(count + 1);
    await waitFor("everything produced to be stored", async () => (await storedResults(db, 7001)).length === produced.filter((r) => r.msm_id === 7001).length);
  });
});
