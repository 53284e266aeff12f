import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollectingSubscriber, Deployment, ResultSender, sleep, TRANSPORTS, waitUntil } from "../../src/faults/index.js";

// kill -9 of an ingest process, several times at random moments, with the
// sender re-posting what was not acknowledged to another ingest: every stored result reaches every
// subscriber once, including those committed in the instant of the kill.
const MSM = 9031;
const KILLS = 6;
const SENDERS = 4;
let d: Deployment;
const started = Date.now();

beforeAll(async () => {
  d = await Deployment.start({ ingests: 2, gateways: 2 });
}, 120_000);

afterAll(async () => {
  await d?.stop();
  console.log(`ingest-kill: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe("fault: kill -9 of ingest processes under steady ingest", () => {
  it("0 lost, 0 duplicated: acknowledged = stored = delivered to every subscriber of both gateways", async () => {
    // At this rate a subscriber in this starved test process can fall 8 MB behind and be cut as a
    // slow client; it resumes from its last position as a real client does (counted in the audit).
    const subscribers = d.gateways.flatMap((g, i) => TRANSPORTS.map((t) => new CollectingSubscriber(t, MSM, `${t}@gateway${i}`, 3)));
    for (const [i, s] of subscribers.entries()) await s.connect(d.gateways[Math.floor(i / TRANSPORTS.length)]!.url);
    // Several probes posting large batches at once, on both ingests, so that kills catch commits in flight.
    const senders: ResultSender[] = [];
    for (let i = 0; i < SENDERS; i++) {
      const probe = await d.probe();
      const urls = () => (i % 2 ? d.liveIngestUrls().reverse() : d.liveIngestUrls());
      senders.push(new ResultSender({ ingestUrls: urls, probe, msmId: MSM, batchSize: 100, intervalMs: 0 }));
    }
    for (const s of senders) s.start();
    for (let k = 0; k < KILLS; k++) {
      const after = 500 + Math.floor(Math.random() * 2_000);
      await sleep(after);
      const victim = d.ingests.find((a) => a.alive)!;
      console.log(`kill -9 of ingest :${victim.port} after ${after} ms`);
      await victim.kill9();
      await d.startIngest();
    }
    await sleep(2_000);
    await Promise.all(senders.map((s) => s.drain()));
    const acknowledged = new Set(senders.flatMap((s) => [...s.acknowledged]));
    await waitUntil("every subscriber to catch up", () => subscribers.every((s) => s.audit(acknowledged).lost === 0), 30_000).catch(() => {});

    const stored = await d.storedKeys(MSM);
    const audits = subscribers.map((s) => ({ subscriber: s.label, ...s.audit(acknowledged) }));
    console.log(`acknowledged ${acknowledged.size}, stored ${stored.size}\n${audits.map((a) => JSON.stringify(a)).join("\n")}`);
    expect(senders.map((s) => s.unacknowledged).filter((n) => n > 0)).toEqual([]);
    expect(stored.size).toBe(acknowledged.size);
    expect([...stored.values()].filter((n) => n !== 1)).toEqual([]);
    for (const a of audits) expect(a).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0, outOfOrder: 0 });
    expect(d.gateways.every((a) => a.alive)).toBe(true);
    for (const s of subscribers) s.close();
  }, 150_000);
});
