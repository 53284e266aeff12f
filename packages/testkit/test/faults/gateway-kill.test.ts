import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollectingSubscriber, Deployment, ResultSender, sleep, TRANSPORTS, waitUntil } from "../../src/faults/index.js";

// kill -9 of a gateway under steady ingest: its clients resume from their last position on the
// other gateway and miss nothing, twice nothing.
const MSM = 9021;
let d: Deployment;
const started = Date.now();

beforeAll(async () => {
  d = await Deployment.start({ ingests: 1, gateways: 2 });
}, 120_000);

afterAll(async () => {
  await d?.stop();
  console.log(`gateway-kill: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe("fault: kill -9 of a gateway, clients resuming on another", () => {
  it("0 lost, 0 duplicated, in commit order, on every transport", async () => {
    const [victim, survivor] = d.gateways as [typeof d.gateways[0], typeof d.gateways[0]];
    const moved = TRANSPORTS.map((t) => new CollectingSubscriber(t, MSM, `${t} moved`));
    const stayed = TRANSPORTS.map((t) => new CollectingSubscriber(t, MSM, `${t} stayed`));
    for (const s of moved) await s.connect(victim.url);
    for (const s of stayed) await s.connect(survivor.url);
    const sender = new ResultSender({ ingestUrls: () => d.liveIngestUrls(), probe: await d.probe(), msmId: MSM, batchSize: 10, intervalMs: 30 });
    sender.start();
    const killAfter = 2_000 + Math.floor(Math.random() * 3_000);
    console.log(`kill -9 of the gateway after ${killAfter} ms`);
    await sleep(killAfter);
    await victim.kill9();
    await waitUntil("every moved client to notice", () => moved.every((s) => s.disconnects > 0), 10_000);
    await sleep(1_000 + Math.floor(Math.random() * 1_000));
    for (const s of moved) await s.connect(survivor.url, true);
    await d.startGateway();
    await sleep(3_000);
    await sender.drain();
    await waitUntil("every subscriber to catch up", () => [...moved, ...stayed].every((s) => s.audit(sender.acknowledged).lost === 0), 30_000).catch(() => {});

    const audits = [...moved, ...stayed].map((s) => ({ subscriber: s.label, ...s.audit(sender.acknowledged) }));
    console.log(`acknowledged ${sender.acknowledged.size}\n${audits.map((a) => JSON.stringify(a)).join("\n")}`);
    expect(sender.unacknowledged).toBe(0);
    expect((await d.storedKeys(MSM)).size).toBe(sender.acknowledged.size);
    for (const a of audits) expect(a).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0, outOfOrder: 0 });
    expect([survivor, d.gateways[2]!, ...d.ingests].every((a) => a.alive)).toBe(true);
    for (const s of [...moved, ...stayed]) s.close();
  }, 120_000);
});
