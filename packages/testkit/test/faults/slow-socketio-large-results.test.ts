import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Deployment, runSlowConsumers, type SlowConsumerRun } from "../../src/faults/index.js";

// A socket.io client that stops reading is held to its byte limit whatever
// the size of the results (the limit must not assume 512 bytes per queued packet): here results
// of about 4 KB (pings with 300 replies).
let d: Deployment;
let run: SlowConsumerRun;
const started = Date.now();
const LARGE = { sent: 300, rcvd: 300, result: Array.from({ length: 300 }, (_, i) => ({ rtt: 10 + i / 1000 })) };

beforeAll(async () => {
  d = await Deployment.start({ ingests: 1, gateways: 2 });
  run = await runSlowConsumers(d, ["socket.io", "websocket", "http"], { floodMsm: 9045, timedMsm: 9046, waitS: 90, floodExtra: LARGE, floodBatch: 50 });
  console.log(JSON.stringify(run));
}, 170_000);

afterAll(async () => {
  await d?.stop();
  console.log(`slow-socketio-large-results: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe("fault: slow consumers of large results", () => {
  it("each is cut off at its byte limit: socket.io as soon as the others", () => {
    console.log(`cut after (s): ${JSON.stringify(run.cutAfterS)}`);
    expect(run.cutAfterS.websocket).toBeLessThan(10);
    expect(run.cutAfterS.http).toBeLessThan(10);
    expect(run.cutAfterS["socket.io"]).toBeLessThan(10);
  });

  it("leaves the gateway's RSS bounded", () => {
    console.log(`gateway RSS: ${run.rssBaselineMb} MB before, ${run.rssPeakMb} MB at most, ${run.rssEndMb} MB after`);
    expect(run.rssPeakMb - run.rssBaselineMb).toBeLessThan(100);
  });
});
