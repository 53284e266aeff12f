import { CollectingSubscriber, type Transport } from "./subscribers.js";
import { ResultSender } from "./sender.js";
import { sleep, waitUntil } from "./net.js";
import { sessionsByTransport, slowConsumer } from "./slow-consumers.js";
import type { Deployment } from "./deployment.js";

export const TRANSPORTS: Transport[] = ["socket.io", "websocket", "http"];

export interface RedisOutageRun {
  sender: ResultSender;
  subscribers: CollectingSubscriber[];
  outageStart: number;
  outageEnd: number;
}

/**
 * A Redis restart, then Redis away for `outageMs`, under a steady flow of results, with a subscriber
 * on every transport of every gateway. Resolves once the sender has everything acknowledged and
 * the subscribers had time to catch up.
 */
export async function runRedisOutage(d: Deployment, msmId: number, outageMs = 20_000): Promise<RedisOutageRun> {
  const subscribers: CollectingSubscriber[] = [];
  for (const [g, gateway] of d.gateways.entries()) {
    for (const t of TRANSPORTS) {
      const s = new CollectingSubscriber(t, msmId, `${t}@gateway${g}`);
      await s.connect(gateway.url);
      subscribers.push(s);
    }
  }
  const sender = new ResultSender({ ingestUrls: () => d.liveIngestUrls(), probe: await d.probe(), msmId, batchSize: 10, intervalMs: 50 });
  sender.start();
  await sleep(3_000);
  await d.redis.stop();
  await d.redis.start();
  await sleep(3_000);
  const outageStart = Date.now();
  await d.redis.stop();
  await sleep(outageMs);
  const outageEnd = Date.now();
  await d.redis.start();
  await sleep(3_000);
  await sender.drain(60_000);
  await waitUntil(
    "every subscriber to catch up",
    () => subscribers.every((s) => s.audit(sender.acknowledged).lost === 0),
    30_000,
  ).catch(() => {});
  return { sender, subscribers, outageStart, outageEnd };
}

export interface SlowConsumerRun {
  /** Seconds from the slow client's subscription to its cut, per transport (undefined: never cut). */
  cutAfterS: Partial<Record<Transport, number>>;
  rssBaselineMb: number;
  rssPeakMb: number;
  rssEndMb: number;
  /** Post-to-delivery latency of the fast subscribers (one per transport) on the gateway of the slow ones, before the slow ones came and while they were held. */
  latencyBefore: { p50: number; p95: number };
  latencyDuring: { p50: number; p95: number };
  /**
   * The same, at the same moments, of the same subscribers on a second gateway that carries the same flood but
   * no slow client: what the machine (ingest's commits, the disk, the shared cores) did to everyone.
   */
  controlBefore: { p50: number; p95: number };
  controlDuring: { p50: number; p95: number };
  fastAudits: ReturnType<CollectingSubscriber["audit"]>[];
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

/**
 * A flood of results on `floodMsm` with a slow consumer (subscribed, then never reading) on each of
 * `transports`, and fast subscribers on every transport to a trickle of timed results on `timedMsm`.
 * Watches the gateway's sessions (its `/metrics`) and RSS until every slow one is cut or `waitS` passed.
 * The deployment's second gateway, with the same fast subscribers and flood reader but no slow client,
 * is the control: a stall of the machine shows on both, one the slow clients cause only on the first.
 */
export async function runSlowConsumers(
  d: Deployment,
  transports: Transport[],
  opts: { floodMsm: number; timedMsm: number; waitS: number; floodExtra?: Record<string, unknown>; floodBatch?: number },
): Promise<SlowConsumerRun> {
  const [gateway, controlGateway] = d.gateways;
  if (!gateway || !controlGateway) throw new Error("runSlowConsumers needs a deployment with two gateways");
  const fast = TRANSPORTS.map((t) => new CollectingSubscriber(t, opts.timedMsm, `${t} fast`));
  const control = TRANSPORTS.map((t) => new CollectingSubscriber(t, opts.timedMsm, `${t} control`));
  for (const s of fast) await s.connect(gateway.url);
  for (const s of control) await s.connect(controlGateway.url);
  // A client that reads the flood as fast as it comes: the baseline includes delivering the flood.
  const floodReader = new CollectingSubscriber("websocket", opts.floodMsm, "flood reader");
  const controlFloodReader = new CollectingSubscriber("websocket", opts.floodMsm, "control flood reader");
  await floodReader.connect(gateway.url);
  await controlFloodReader.connect(controlGateway.url);
  const floods: ResultSender[] = [];
  // A steady flood (about 4,000 results a second) that fills a stalled client's 8 MiB in seconds.
  for (let i = 0; i < 2; i++) {
    floods.push(new ResultSender({ ingestUrls: () => d.liveIngestUrls(), probe: await d.probe(), msmId: opts.floodMsm, batchSize: opts.floodBatch ?? 200, intervalMs: 100, extra: opts.floodExtra }));
  }
  const timed = new ResultSender({ ingestUrls: () => d.liveIngestUrls(), probe: await d.probe(), msmId: opts.timedMsm, batchSize: 1, intervalMs: 100 });
  const latencies = (subscribers: CollectingSubscriber[], from: number, to: number) => {
    const out: number[] = [];
    for (const s of subscribers) {
      for (const x of s.deliveries) {
        const sent = timed.firstPostedAt.get(x.key);
        if (sent !== undefined && sent >= from && sent < to) out.push(x.at - sent);
      }
    }
    return { p50: percentile(out, 50), p95: percentile(out, 95) };
  };
  timed.start();
  for (const f of floods) f.start();
  const rssBaselineMb = gateway.rssMb();
  const baselineStart = Date.now();
  await sleep(5_000);
  const baselineEnd = Date.now();

  const before = await sessionsByTransport(gateway.url);
  const slow = await Promise.all(transports.map((t) => slowConsumer(t, gateway.url, opts.floodMsm)));
  const slowStart = Date.now();
  const cutAfterS: Partial<Record<Transport, number>> = {};
  let rssPeakMb = rssBaselineMb;
  while (Date.now() - slowStart < opts.waitS * 1000 && Object.keys(cutAfterS).length < transports.length) {
    await sleep(500);
    rssPeakMb = Math.max(rssPeakMb, gateway.rssMb());
    const now = await sessionsByTransport(gateway.url);
    for (const t of transports) {
      if (cutAfterS[t] === undefined && (now[t] ?? 0) <= (before[t] ?? 0)) cutAfterS[t] = (Date.now() - slowStart) / 1000;
    }
  }
  const slowEnd = Date.now();
  for (const f of floods) await f.stop();
  await timed.drain();
  for (const s of slow) s.close();
  await sleep(2_000);
  const rssEndMb = gateway.rssMb();
  const fastAudits = [...fast, ...control].map((s) => s.audit(timed.acknowledged));
  const floodAcknowledged = new Set(floods.flatMap((f) => [...f.acknowledged]));
  const floodReaders = [floodReader, controlFloodReader];
  await waitUntil("the flood readers to catch up", () => floodReaders.every((r) => r.audit(floodAcknowledged).lost === 0), 20_000).catch(() => {});
  for (const r of floodReaders) fastAudits.push(r.audit(floodAcknowledged));
  for (const s of [...fast, ...control, ...floodReaders]) s.close();
  return {
    cutAfterS,
    rssBaselineMb,
    rssPeakMb,
    rssEndMb,
    latencyBefore: latencies(fast, baselineStart, baselineEnd),
    latencyDuring: latencies(fast, slowStart, slowEnd),
    controlBefore: latencies(control, baselineStart, baselineEnd),
    controlDuring: latencies(control, slowStart, slowEnd),
    fastAudits,
  };
}
