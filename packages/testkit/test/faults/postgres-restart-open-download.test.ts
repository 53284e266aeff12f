import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pingResult, postResults } from "../../src/index.js";
import { Deployment, sleep } from "../../src/faults/index.js";

// Defect 1 of issue 10: a REST download open while Postgres restarts must not take the gateway down
// (the pool client it holds must not emit an unhandled 'error').
const MSM = 9002;
// More than the socket buffers between the gateway and a reader that stopped reading hold.
const RESULTS = 40_000;
let d: Deployment;
const started = Date.now();

beforeAll(async () => {
  d = await Deployment.start({ ingests: 1, gateways: 1 });
  await d.cluster.query("INSERT INTO measurements (id, type) VALUES ($1, 'ping')", [MSM]);
  const probe = await d.probe();
  const t0 = Math.floor(Date.now() / 1000) - 86_400;
  for (let b = 0; b < RESULTS / 1000; b++) {
    const batch = Array.from({ length: 1000 }, (_, i) => pingResult(probe.prbId, MSM, t0 + b * 1000 + i));
    const { status } = await postResults(d.ingests[0]!.url, probe, batch);
    expect(status).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await d?.stop();
  console.log(`postgres-restart-open-download: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe("fault: Postgres restart with a REST download open", () => {
  it("the gateway lives on, and answers again once Postgres is back", async () => {
    const gateway = d.gateways[0]!;
    const res = await fetch(`${gateway.url}/api/v2/measurements/${MSM}/results/?format=txt`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    await sleep(500);

    // The reader pauses: the gateway's cursor stays open on its pool client while Postgres goes away.
    await d.cluster.stop("fast");
    await sleep(10_000);
    await d.cluster.start();
    let bytes = 0;
    const reading = (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          bytes += value.length;
          await sleep(50);
        }
      } catch {
        // The download may be cut short; the gateway must not be.
      }
    })();
    await reading;
    await sleep(2_000);

    console.log(`download read ${bytes} bytes after the restart; gateway ${gateway.alive ? "alive" : `exited ${JSON.stringify(gateway.exit)}`}`);
    const crash = gateway.logs.filter((l) => /Emitted 'error'|Unhandled|uncaught/i.test(l.text)).map((l) => l.text);
    expect(crash).toEqual([]);
    expect(gateway.alive).toBe(true);
    const again = await fetch(`${gateway.url}/api/v2/measurements/${MSM}/results/?format=txt`);
    expect(again.status).toBe(200);
    expect((await again.text()).trim().split("\n")).toHaveLength(RESULTS);
  }, 90_000);
});
