import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Deployment, runRedisOutage, type RedisOutageRun } from "../../src/faults/index.js";

// Redis restarted, then away for 20 s, with two gateways: every subscriber on every transport of
// every gateway gets every acknowledged result exactly once, in commit order (gap filling from Postgres).
const MSM = 9011;
let d: Deployment;
let run: RedisOutageRun;
const started = Date.now();

beforeAll(async () => {
  d = await Deployment.start({ ingests: 1, gateways: 2 });
  run = await runRedisOutage(d, MSM);
}, 170_000);

afterAll(async () => {
  for (const s of run?.subscribers ?? []) s.close();
  await d?.stop();
  console.log(`redis-outage: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe("fault: Redis restart and a 20 s outage, two gateways", () => {
  it("every subscriber gets every acknowledged result exactly once, in commit order; no process exits", async () => {
    const { sender, subscribers } = run;
    const audits = subscribers.map((s) => ({ subscriber: s.label, ...s.audit(sender.acknowledged) }));
    console.log(
      `acknowledged ${sender.acknowledged.size}, statuses ${JSON.stringify(sender.statusCounts())}, ` +
        `longest POST during the outage ${sender.maxLatencyMs(run.outageStart)} ms\n${audits.map((a) => JSON.stringify(a)).join("\n")}`,
    );
    expect([...d.ingests, ...d.gateways].filter((a) => !a.alive).map((a) => `${a.name} ${JSON.stringify(a.exit)}\n${a.tail()}`)).toEqual([]);
    expect(sender.unacknowledged).toBe(0);
    const stored = await d.storedKeys(MSM);
    expect(stored.size).toBe(sender.acknowledged.size);
    for (const a of audits) expect(a).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0, outOfOrder: 0 });
  });
});
