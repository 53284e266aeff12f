import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadFixtures, type TestProbe } from "../../src/index.js";
import { Deployment, fuzzSeeds, mutatedResult, probeBody, runCases, summarize } from "../../src/faults/index.js";

// Property-based fuzzing of the probe-facing API: mutated results of every type, and arbitrary
// bodies. Whatever comes in, ingest answers 2xx or a 4xx that names what is wrong: no 5xx, no
// crash, no hang, memory bounded.
const CASES_PER_SEED = 5_000;
// Ids and timestamps beyond their SQL columns are among the cases: each is refused at its field,
// and never fails the other results of its batch.
const RESULTS_PER_POST = 250;
let d: Deployment;
let probe: TestProbe;
const fixtures = loadFixtures();
const seeds = fuzzSeeds();
const started = Date.now();

beforeAll(async () => {
  d = await Deployment.start({ ingests: 1, gateways: 0 });
  probe = await d.probe();
  console.log(`fuzz seeds: ${seeds.join(", ")} (FUZZ_SEED=${seeds[1]} repeats this run)`);
}, 120_000);

afterAll(async () => {
  await d?.stop();
  console.log(`fuzz-ingest: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

interface Answer {
  status: number;
  body: { stored?: number; duplicates?: number; rejected?: { index: number; field: string; message: string }[]; error?: { detail?: string } };
}

async function post(body: string | Uint8Array, contentType: string): Promise<Answer> {
  const res = await fetch(`${d.ingests[0]!.url}/probe/results`, {
    method: "POST",
    headers: { authorization: probe.authorization, "content-type": contentType },
    // A copy owns its ArrayBuffer, which is what fetch's types ask of binary bodies.
    body: typeof body === "string" ? body : new Uint8Array(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let parsed: Answer["body"];
  try {
    parsed = JSON.parse(text) as Answer["body"];
  } catch {
    throw new Error(`${res.status} with a body that is not JSON: ${text.slice(0, 80)}`);
  }
  return { status: res.status, body: parsed };
}

/** Why an answer is wrong, or undefined. */
function judge(a: Answer, inputs?: unknown[]): string | undefined {
  if (a.status >= 500) return `${a.status} ${a.body.error?.detail ?? ""}`.trim();
  if (a.status === 200 || a.status === 422) {
    for (const r of a.body.rejected ?? []) {
      const input = inputs?.[r.index];
      if (!r.message) return "a rejection without a message";
      if (!r.field && input && typeof input === "object" && !Array.isArray(input)) return `a rejection of an object that names no field: ${r.message}`;
    }
    return undefined;
  }
  if (a.status >= 400 && a.status < 500) return a.body.error?.detail || a.body.rejected ? undefined : `${a.status} without error.detail`;
  return `unexpected status ${a.status}`;
}

describe("fuzz: probe results and bodies", () => {
  it(`${2 * CASES_PER_SEED} mutated results of every type, ${RESULTS_PER_POST} per POST: no 5xx, every rejection names its field`, async () => {
    const rssBefore = d.ingests[0]!.rssMb();
    const batches: unknown[][] = [];
    for (const seed of seeds) {
      const results = fc.sample(mutatedResult(fixtures, probe.prbId), { seed, numRuns: CASES_PER_SEED });
      for (let i = 0; i < results.length; i += RESULTS_PER_POST) batches.push(results.slice(i, i + RESULTS_PER_POST));
    }
    const statuses: Record<number, number> = {};
    let stored = 0;
    let rejected = 0;
    const fields = new Map<string, number>();
    const failures = await runCases(batches, 4, async (batch) => {
      const a = await post(JSON.stringify(batch), "application/json");
      statuses[a.status] = (statuses[a.status] ?? 0) + 1;
      stored += a.body.stored ?? 0;
      rejected += a.body.rejected?.length ?? 0;
      for (const r of a.body.rejected ?? []) fields.set(`${r.field}: ${r.message.slice(0, 50)}`, (fields.get(`${r.field}: ${r.message.slice(0, 50)}`) ?? 0) + 1);
      return judge(a, batch);
    });
    const rssAfter = d.ingests[0]!.rssMb();
    console.log(`results: ${batches.length} POSTs, statuses ${JSON.stringify(statuses)}, ${stored} stored, ${rejected} rejected (most named: ${[...fields].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([f, n]) => `${f || "(none)"} ${n}`).join(", ")}); ingest RSS ${rssBefore} → ${rssAfter} MB\n${summarize(failures)}`);
    expect(d.ingests[0]!.alive).toBe(true);
    expect(failures.map((f) => f.reason)).toEqual([]);
    expect(rssAfter - rssBefore).toBeLessThan(200);
  }, 170_000);

  it(`${2 * CASES_PER_SEED} arbitrary bodies (JSON, NDJSON, truncated, binary) under any content type: no 5xx, no hang`, async () => {
    const rssBefore = d.ingests[0]!.rssMb();
    const cases = seeds.flatMap((seed) => fc.sample(probeBody(fixtures, probe.prbId), { seed, numRuns: CASES_PER_SEED }));
    const statuses: Record<number, number> = {};
    const failures = await runCases(cases, 8, async (c) => {
      const a = await post(c.body, c.contentType);
      statuses[a.status] = (statuses[a.status] ?? 0) + 1;
      return judge(a);
    });
    const rssAfter = d.ingests[0]!.rssMb();
    console.log(`bodies: ${cases.length} POSTs, statuses ${JSON.stringify(statuses)}; ingest RSS ${rssBefore} → ${rssAfter} MB\n${summarize(failures)}`);
    expect(d.ingests[0]!.alive).toBe(true);
    expect(failures.map((f) => f.reason)).toEqual([]);
    expect(rssAfter - rssBefore).toBeLessThan(200);
  }, 170_000);
});
