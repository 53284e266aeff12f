import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollectingSubscriber, Deployment, ResultSender, sleep, TcpProxy, TRANSPORTS, waitUntil } from "../../src/faults/index.js";

// Defect 3 of issue 10, made certain: an ingest process killed after its commit and before its
// publish reached Redis (its own Redis connection held by a proxy) leaves committed results that
// must still reach every subscriber once, although newer results from another ingest reach them
// first; the probe's re-post of them to the other ingest counts as a duplicate.
const MSM = 9033;
let d: Deployment;
const started = Date.now();

let proxy: TcpProxy;

beforeAll(async () => {
  d = await Deployment.start({ ingests: 0, gateways: 2 });
  proxy = await TcpProxy.start(d.redis.port);
  await d.startIngest({ REDIS_URL: proxy.url });
  await d.startIngest();
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await d?.stop();
  console.log(`ingest-kill-between-commit-and-publish: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe("fault: kill -9 of an ingest between its commit and its publish", () => {
  it("every committed result reaches every subscriber exactly once", async () => {
    const subscribers = d.gateways.flatMap((g, i) => TRANSPORTS.map((t) => new CollectingSubscriber(t, MSM, `${t}@gateway${i}`)));
    for (const [i, s] of subscribers.entries()) await s.connect(d.gateways[Math.floor(i / TRANSPORTS.length)]!.url);
    const sender = new ResultSender({ ingestUrls: () => d.liveIngestUrls(), probe: await d.probe(), msmId: MSM, batchSize: 50, intervalMs: 20, requestTimeoutMs: 5_000 });
    sender.start();
    await sleep(2_000);
    const victim = d.ingests[0]!;
    proxy.hold();
    await sleep(1_500);
    const committedBeforeKill = await d.storedCount(MSM);
    await victim.kill9();
    proxy.cut();
    await sleep(6_000);
    await sender.drain();
    await waitUntil("every subscriber to catch up", () => subscribers.every((s) => s.audit(sender.acknowledged).lost === 0), 30_000).catch(() => {});

    const stored = await d.storedKeys(MSM);
    const gapFills = await Promise.all(
      d.gateways.map(async (g) => /^gateway_bus_gap_fills_total(?:\{[^}]*\})? (\d+)/m.exec(await (await fetch(`${g.url}/metrics`)).text())?.[1]),
    );
    console.log(`gateways' bus gap fills: ${gapFills.join(", ")}`);
    const audits = subscribers.map((s) => ({ subscriber: s.label, ...s.audit(sender.acknowledged) }));
    console.log(
      `stored when killed ${committedBeforeKill}; acknowledged ${sender.acknowledged.size}, stored ${stored.size}\n` +
        audits.map((a) => JSON.stringify(a)).join("\n"),
    );
    expect(stored.size).toBe(sender.acknowledged.size);
    for (const a of audits) expect(a).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0, outOfOrder: 0 });
    for (const s of subscribers) s.close();
  }, 120_000);
});
