import { CollectingSubscriber, type Transport } from "./subscribers.js";
import { ResultSender } from "./sender.js";
import { sleep, waitUntil } from "./net.js";
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
