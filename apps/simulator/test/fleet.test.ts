import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import type { AddressInfo } from "node:net";
import { createBus, type MessageBus } from "@probestream/bus";
import { createPool, type Pool } from "@probestream/db";
import { createIngestApp } from "@probestream/ingest";
import { createTestDatabase, registerProbe, type TestDatabase } from "@probestream/testkit";
import { DEFAULT_MEASUREMENTS, startFleet, type Fleet } from "../src/index.js";

const ADMIN = "simulator-test-admin";
const PROBES = 12;
const FIRST_PROBE_ID = 61_001;

let db: TestDatabase;
let pool: Pool;
let bus: MessageBus;
let ingest: FastifyInstance;
let ingestUrl: string;
let fleet: Fleet | undefined;

beforeAll(async () => {
  db = await createTestDatabase("simulator");
  pool = createPool(db.url, 5);
  bus = createBus(undefined, "");
  ingest = await createIngestApp({ pool, bus, adminToken: ADMIN }, false);
  await ingest.listen({ host: "127.0.0.1", port: 0 });
  ingestUrl = `http://127.0.0.1:${(ingest.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await fleet?.stop();
  await ingest?.close();
  await bus?.close();
  await pool?.end();
  await db?.drop();
});

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

describe("fleet against a live ingest", () => {
  it("registers its probes, holds their sessions and stores results of every type", async () => {
    fleet = await startFleet({
      ingestUrl,
      adminToken: ADMIN,
      probes: PROBES,
      rate: 60,
      measurements: [...DEFAULT_MEASUREMENTS],
      firstProbeId: FIRST_PROBE_ID,
      batchMs: 200,
    });
    const running = fleet;

    const { rows: probes } = await pool.query<{ id: number; country_code: string; asn_v4: number; address_v4: string }>(
      "SELECT id, country_code, asn_v4, address_v4 FROM probes ORDER BY id",
    );
    expect(probes.map((probe) => probe.id)).toEqual(Array.from({ length: PROBES }, (_, i) => FIRST_PROBE_ID + i));
    expect(probes.every((probe) => probe.country_code && probe.asn_v4 > 0 && probe.address_v4)).toBe(true);

    await expect.poll(() => running.stats().connected, { timeout: 15_000 }).toBe(PROBES);
    await expect.poll(() => count("SELECT count(*) AS n FROM probes WHERE status = 1"), { timeout: 5_000 }).toBe(PROBES);
    await expect
      .poll(() => count("SELECT count(DISTINCT type) AS n FROM results"), { timeout: 20_000, interval: 500 })
      .toBe(6);

    const stats = running.stats();
    expect(stats.sent).toBeGreaterThan(0);
    expect(stats).toMatchObject({ rejected: 0, errors: 0, dropped: 0 });
    expect(stats.stored + stats.duplicates).toBe(stats.sent);
    expect(await count("SELECT count(*) AS n FROM results")).toBeGreaterThanOrEqual(stats.stored);
  });

  it("keeps a probe sending after its secret was rotated elsewhere", async () => {
    const running = fleet as Fleet;
    const errorsBefore = running.stats().errors;
    await registerProbe(ingestUrl, ADMIN, FIRST_PROBE_ID);
    const rotatedAt = new Date();
    await expect
      .poll(() => count("SELECT count(*) AS n FROM results WHERE prb_id = $1 AND stored_at > $2", [FIRST_PROBE_ID, rotatedAt]), {
        timeout: 20_000,
        interval: 500,
      })
      .toBeGreaterThan(0);
    // The first upload with the old secret was refused (401), then the probe registered again.
    expect(running.stats().errors).toBeGreaterThan(errorsBefore);
    expect(running.stats().dropped).toBe(0);
  });

  it("delivers what is pending on stop and closes its sessions", async () => {
    const running = fleet as Fleet;
    await running.stop();
    fleet = undefined;
    const stats = running.stats();
    expect(stats.connected).toBe(0);
    expect(stats.dropped).toBe(0);
    expect(await count("SELECT count(*) AS n FROM results")).toBe(stats.stored);
    await expect.poll(() => count("SELECT count(*) AS n FROM probes WHERE status = 2"), { timeout: 5_000 }).toBe(PROBES);
  });

  it("registers its anchors as anchors and churns its sessions: they drop, are recorded, and come back", async () => {
    const first = FIRST_PROBE_ID + 100;
    // Half the sessions a second: every probe drops within a few seconds.
    const churning = await startFleet({
      ingestUrl, adminToken: ADMIN, probes: 4, anchors: 2, rate: 1, measurements: [], firstProbeId: first, churnPerMinute: 30,
    });
    fleet = churning;
    expect(await count("SELECT count(*) AS n FROM probes WHERE id >= $1 AND is_anchor", [first])).toBe(2);
    await expect.poll(() => churning.stats().churned, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    const disconnects = "SELECT count(*) AS n FROM probe_status_events WHERE prb_id >= $1 AND event = 'disconnect'";
    await expect.poll(() => count(disconnects, [first]), { timeout: 10_000 }).toBeGreaterThan(0);
    // Back after 5-30 s: more connections than the four first ones.
    const connects = "SELECT count(*) AS n FROM probe_status_events WHERE prb_id >= $1 AND event = 'connect'";
    await expect.poll(() => count(connects, [first]), { timeout: 40_000, interval: 500 }).toBeGreaterThan(4);
    await churning.stop();
    fleet = undefined;
  }, 60_000);
});
