import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Deployment, runRedisOutage, type RedisOutageRun } from "../../src/faults/index.js";

// Defect 5 of issue 10: during a Redis outage a probe's POST gets a prompt answer (acknowledged once
// committed, or 503 with Retry-After), never a request left hanging.
const MSM = 9012;
let d: Deployment;
let run: RedisOutageRun;
const started = Date.now();

beforeAll(async () => {
  d = await Deployment.start({ ingests: 1, gateways: 1 });
  run = await runRedisOutage(d, MSM);
}, 170_000);

afterAll(async () => {
  for (const s of run?.subscribers ?? []) s.close();
  await d?.stop();
  console.log(`redis-outage-prompt-answer: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe("fault: Redis away for 20 s", () => {
  it("every probe POST is answered within 2 s; refusals are 503 with Retry-After", () => {
    const { sender, outageStart, outageEnd } = run;
    const during = sender.posts.filter((p) => p.at >= outageStart && p.at <= outageEnd);
    const slow = during.filter((p) => p.ms > 2_000).map((p) => `${p.status} after ${p.ms} ms`);
    console.log(`posts during the outage: ${during.length}, statuses ${JSON.stringify(sender.statusCounts(outageStart))}, slowest ${sender.maxLatencyMs(outageStart)} ms`);
    expect(during.length).toBeGreaterThan(5);
    expect(slow).toEqual([]);
    expect(during.filter((p) => p.status !== 200 && !(p.status === 503 && p.retryAfter))).toEqual([]);
  });
});
