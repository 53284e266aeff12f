import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollectingSubscriber, Deployment, ResultSender, sleep, waitUntil, type Transport } from "../../src/faults/index.js";

// Postgres restarted, then away for 10 s, under a steady flow of results: ingest refuses promptly
// while it cannot commit, every process lives on, and afterwards what ingest acknowledged is what
// Postgres holds and what each subscriber got, once.
const MSM = 9001;
let d: Deployment;
const started = Date.now();

beforeAll(async () => {
  d = await Deployment.start({ ingests: 1, gateways: 1 });
}, 120_000);

afterAll(async () => {
  await d?.stop();
  console.log(`postgres-outage: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe("fault: Postgres restart and a 10 s outage under steady ingest", () => {
  it("no process exits, ingest answers 503 promptly, acknowledged = stored = delivered once", async () => {
    const gateway = d.gateways[0]!;
    const subscribers = (["socket.io", "websocket", "http"] as Transport[]).map((t) => new CollectingSubscriber(t, MSM));
    for (const s of subscribers) await s.connect(gateway.url);
    const sender = new ResultSender({ ingestUrls: () => d.liveIngestUrls(), probe: await d.probe(), msmId: MSM, batchSize: 10, intervalMs: 50 });
    sender.start();
    await sleep(3_000);

    await d.cluster.stop("fast");
    await d.cluster.start();
    await sleep(3_000);

    const outageStart = Date.now();
    await d.cluster.stop("fast");
    await sleep(10_000);
    const outageEnd = Date.now();
    await d.cluster.start();
    await sleep(4_000);
    await sender.drain();

    const during = sender.posts.filter((p) => p.at >= outageStart + 500 && p.at + p.ms <= outageEnd);
    console.log(
      `posts during the outage: ${during.length}, statuses ${JSON.stringify(sender.statusCounts(outageStart))}, ` +
        `longest answer during it ${Math.max(0, ...during.map((p) => p.ms))} ms; acknowledged ${sender.acknowledged.size}`,
    );
    expect(during.length).toBeGreaterThan(5);
    expect(during.filter((p) => p.status !== 503)).toEqual([]);
    expect(during.filter((p) => !p.retryAfter)).toEqual([]);
    expect(Math.max(...during.map((p) => p.ms))).toBeLessThan(3_000);

    await waitUntil(
      "every subscriber to catch up",
      () => subscribers.every((s) => s.audit(sender.acknowledged).lost === 0),
      30_000,
    ).catch(() => {});
    const stored = await d.storedKeys(MSM);
    const audits = subscribers.map((s) => ({ transport: s.transport, ...s.audit(sender.acknowledged) }));
    console.log(`stored ${stored.size}; ${JSON.stringify(audits)}`);
    expect([...d.ingests, ...d.gateways].filter((a) => !a.alive).map((a) => `${a.name} ${JSON.stringify(a.exit)}\n${a.tail()}`)).toEqual([]);
    expect(stored.size).toBe(sender.acknowledged.size);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
    expect([...sender.acknowledged].filter((k) => !stored.has(k))).toEqual([]);
    for (const a of audits) expect(a).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0, outOfOrder: 0 });
    for (const s of subscribers) s.close();
  }, 150_000);
});
