import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Deployment, runSlowConsumers, type SlowConsumerRun } from "../../src/faults/index.js";

// A client that stops reading socket.io, the plain WebSocket or the HTTP stream is cut off at its byte limit:
// the gateway's memory stays bounded and the other clients' latency does not change. The second gateway
// carries the same flood and subscribers without a slow client: the control for what the machine itself does.
let d: Deployment;
let run: SlowConsumerRun;
const started = Date.now();

beforeAll(async () => {
  d = await Deployment.start({ ingests: 1, gateways: 2 });
  run = await runSlowConsumers(d, ["socket.io", "websocket", "http"], { floodMsm: 9041, timedMsm: 9042, waitS: 60 });
  console.log(JSON.stringify(run));
}, 170_000);

afterAll(async () => {
  await d?.stop();
  console.log(`slow-consumer: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe("fault: a slow consumer on socket.io, the plain WebSocket and the HTTP stream", () => {
  it("is cut off at its byte limit, within 30 s of a flood", () => {
    expect(run.cutAfterS["socket.io"]).toBeLessThan(30);
    expect(run.cutAfterS.websocket).toBeLessThan(30);
    expect(run.cutAfterS.http).toBeLessThan(30);
  });

  it("leaves the gateway's RSS bounded", () => {
    console.log(`gateway RSS: ${run.rssBaselineMb} MB before, ${run.rssPeakMb} MB at most, ${run.rssEndMb} MB after`);
    expect(run.rssPeakMb - run.rssBaselineMb).toBeLessThan(150);
  });

  it("leaves the other clients' latency as it was, and their stream complete", () => {
    console.log(`fast clients' latency (ms) before ${JSON.stringify(run.latencyBefore)}, while the slow ones were held ${JSON.stringify(run.latencyDuring)}`);
    console.log(`the control gateway's (ms) before ${JSON.stringify(run.controlBefore)}, at the same time ${JSON.stringify(run.controlDuring)}`);
    expect(run.latencyDuring.p50).toBeLessThan(run.controlDuring.p50 + 50);
    expect(run.latencyDuring.p95).toBeLessThan(run.controlDuring.p95 + 250);
    for (const a of run.fastAudits) expect(a).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
  });
});
