import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Fleet } from "@probestream/simulator";
import { RESULT_TYPES, type AtlasResult, type ResultType } from "@probestream/types";
import { createApiKey, createTestDatabase, type TestDatabase } from "@probestream/testkit";
import { startDemo } from "../src/demo.js";
import { startPlatform, type Platform } from "../src/platform.js";

const ADMIN = "demo-assignments-admin";
const PROBES = 8;

let db: TestDatabase;
let platform: Platform;
let fleet: Fleet;
let key: string;

/** One definition of each type, with some of its options, as a user would send it. */
const DEFINITIONS: Record<ResultType, Record<string, unknown>> = {
  ping: { target: "k.root-servers.net", packets: 5, size: 100 },
  traceroute: { target: "www.ripe.net", protocol: "TCP", max_hops: 20, paris: 8 },
  dns: { target: "k.root-servers.net", query_class: "IN", query_type: "A", query_argument: "www.ripe.net", protocol: "TCP" },
  sslcert: { target: "www.ripe.net", port: 8443 },
  ntp: { target: "ntp.ripe.net", packets: 2 },
  http: { target: "www.ripe.net", method: "HEAD", path: "/about", port: 8080 },
};

beforeAll(async () => {
  db = await createTestDatabase("demo_assignments");
  platform = await startPlatform({ databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN });
  fleet = await startDemo({ databaseUrl: db.url, ingestUrl: platform.ingestUrl, adminToken: ADMIN, probes: PROBES, rate: 10 });
  const deadline = Date.now() + 15_000;
  while (fleet.stats().connected < PROBES && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  key = (await createApiKey(db.url, "demo-user", ["measurements:create"])).key;
});

afterAll(async () => {
  await fleet?.stop();
  await platform?.close();
  await db?.drop();
});

async function create(body: unknown): Promise<number[]> {
  const res = await fetch(`${platform.gatewayUrl}/api/v2/measurements/`, {
    method: "POST",
    headers: { authorization: `Key ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { measurements: number[] };
  expect(res.status, JSON.stringify(answer)).toBe(201);
  return answer.measurements;
}

async function resultsOf(msmId: number): Promise<AtlasResult[]> {
  const res = await fetch(`${platform.gatewayUrl}/api/v2/measurements/${msmId}/results/`, { headers: { authorization: `Key ${key}` } });
  return res.status === 200 ? ((await res.json()) as AtlasResult[]) : [];
}

describe("the demo fleet runs what the controller assigns", () => {
  it("answers a one-off of every type created through the REST API within seconds, with the options asked for", async () => {
    const started = Date.now();
    const ids = await create({
      definitions: RESULT_TYPES.map((type) => ({ type, af: 4, description: `one-off ${type}`, ...DEFINITIONS[type] })),
      probes: [{ type: "area", value: "WW", requested: 3 }],
      is_oneoff: true,
    });
    expect(ids).toHaveLength(6);
    const firstResultAfter: Record<string, number> = {};
    await expect
      .poll(
        async () => {
          for (const [index, id] of ids.entries()) {
            const type = RESULT_TYPES[index] as ResultType;
            if (firstResultAfter[type] === undefined && (await resultsOf(id)).length > 0) firstResultAfter[type] = Date.now() - started;
          }
          return Object.keys(firstResultAfter).length;
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBe(6);
    console.log(`first result of each type after (ms): ${JSON.stringify(firstResultAfter)}`);

    const byType = new Map<string, AtlasResult>();
    for (const id of ids) for (const result of await resultsOf(id)) byType.set(result.type, result);
    expect(byType.get("ping")).toMatchObject({ sent: 5, size: 100, dst_name: "k.root-servers.net" });
    expect(byType.get("traceroute")).toMatchObject({ proto: "TCP", dst_name: "www.ripe.net" });
    expect(byType.get("dns")).toMatchObject({ proto: "TCP" });
    expect(byType.get("sslcert")).toMatchObject({ dst_port: "8443" });
    expect(byType.get("http")).toMatchObject({ uri: "http://www.ripe.net:8080/about" });
    expect((byType.get("http") as { result: { method: string }[] }).result[0]?.method).toBe("HEAD");

    // Every probe asked reports once, then the one-offs stop and leave the probes' lists.
    await expect
      .poll(async () => (await Promise.all(ids.map(resultsOf))).map((results) => results.length), { timeout: 10_000 })
      .toEqual([3, 3, 3, 3, 3, 3]);
  });

  it("runs a periodic measurement on its schedule until it is stopped", async () => {
    const [id] = await create({
      definitions: [{ type: "ping", af: 4, description: "periodic ping", target: "www.ripe.net", interval: 60, spread: 0 }],
      probes: [{ type: "probes", value: `${fleet.probes[0]!.prbId},${fleet.probes[1]!.prbId}`, requested: 2 }],
    });
    await expect.poll(async () => (await resultsOf(id!)).length, { timeout: 15_000, interval: 250 }).toBe(2);
    const stopped = await fetch(`${platform.gatewayUrl}/api/v2/measurements/${id}/`, { method: "DELETE", headers: { authorization: `Key ${key}` } });
    expect(stopped.status).toBe(204);
  });

  it("runs IPv6 measurements on the probes that have IPv6", async () => {
    const [id] = await create({
      definitions: [{ type: "traceroute", af: 6, description: "IPv6 traceroute", target: "www.ripe.net", protocol: "ICMP" }],
      probes: [{ type: "area", value: "WW", requested: 2 }],
      is_oneoff: true,
    });
    await expect.poll(async () => (await resultsOf(id!)).length, { timeout: 15_000, interval: 250 }).toBe(2);
    for (const result of await resultsOf(id!)) {
      expect(result).toMatchObject({ af: 6, type: "traceroute" });
      const withV6 = fleet.probes.find((probe) => probe.prbId === result.prb_id);
      expect(result.from).toBe(withV6?.addressV6);
    }
  });

  it("keeps feeding the demo measurements", async () => {
    const demo = await resultsOf(1791207);
    expect(demo.length).toBeGreaterThan(0);
    expect(fleet.stats()).toMatchObject({ rejected: 0, dropped: 0 });
    expect(fleet.stats().assigned).toBeGreaterThanOrEqual(20);
  });
});
