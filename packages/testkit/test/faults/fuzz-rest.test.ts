import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { pingResult, postResults } from "../../src/index.js";
import { Deployment, fuzzSeeds, requestShape, restRequest, runCases, summarize } from "../../src/faults/index.js";

// REST query parameters and path ids of every list, detail and results endpoint, fuzzed, numbers
// beyond the SQL columns included. Every answer is 2xx or a 4xx whose error names the parameter;
// never a 5xx, and what the headers say (gzip) is what the body is.
const CASES_PER_SEED = 5_000;
const MSM = 9091;
let d: Deployment;
const seeds = fuzzSeeds(20_261_203);
const started = Date.now();

beforeAll(async () => {
  // Behind a trusted proxy, each case comes from its own address: the per-address limits stay out of the way.
  d = await Deployment.start({ ingests: 1, gateways: 0 });
  await d.startGateway({ GATEWAY_TRUST_PROXY: "1" });
  await d.cluster.query("INSERT INTO measurements (id, type) VALUES ($1, 'ping')", [MSM]);
  const probe = await d.probe();
  const t0 = Math.floor(Date.now() / 1000) - 7_200;
  await postResults(d.ingests[0]!.url, probe, Array.from({ length: 200 }, (_, i) => pingResult(probe.prbId, MSM, t0 + i * 30)));
  console.log(`fuzz seeds: ${seeds.join(", ")} (FUZZ_SEED=${seeds[1]} repeats this run)`);
}, 120_000);

afterAll(async () => {
  await d?.stop();
  console.log(`fuzz-rest: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe("fuzz: REST query parameters and path ids", () => {
  it(`${2 * CASES_PER_SEED} GETs on every list, detail and results endpoint: no 5xx, errors name the parameter`, async () => {
    const gateway = d.gateways[0]!;
    const rssBefore = gateway.rssMb();
    const cases = seeds.flatMap((seed) => fc.sample(restRequest(), { seed, numRuns: CASES_PER_SEED }));
    const statuses: Record<number, number> = {};
    const failures = await runCases(cases, 16, async (path) => {
      const res = await fetch(`${gateway.url}${path}`, {
        headers: { "accept-encoding": "gzip", "x-forwarded-for": `10.3.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` },
        signal: AbortSignal.timeout(15_000),
      });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      // Decoding follows content-encoding: a body that is not what the header says throws here.
      const text = await res.text();
      if (res.status >= 500) return `${res.status} on ${requestShape(path)}`;
      if (res.status < 400) return undefined;
      let body: { error?: { status?: number; detail?: string; errors?: { source?: { pointer?: string } }[] } };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        return `${res.status} whose body is not JSON`;
      }
      if (body.error?.status !== res.status) return `${res.status} without the error shape`;
      if (res.status === 400 && !body.error.errors?.some((e) => e.source?.pointer)) return "400 naming no parameter";
      return undefined;
    });
    console.log(`rest: statuses ${JSON.stringify(statuses)}; gateway RSS ${rssBefore} → ${gateway.rssMb()} MB\n${summarize(failures, 40)}`);
    expect(gateway.alive).toBe(true);
    expect(failures.map((f) => f.reason)).toEqual([]);
    expect(gateway.rssMb() - rssBefore).toBeLessThan(200);
  }, 170_000);
});
