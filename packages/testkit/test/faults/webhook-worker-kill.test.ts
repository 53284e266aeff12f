import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/api-keys.js";
import { restCall } from "../../src/rest-client.js";
import { WebhookReceiver, type ReceivedDelivery } from "../../src/webhook-receiver.js";
import { Deployment, ResultSender, sleep, waitUntil, type AppProcess } from "../../src/faults/index.js";

// kill -9 of the process delivering a webhook, while a POST of it is in flight: another worker
// takes the webhook over when the lease expires and goes on from the last acknowledged position.
// Every result arrives at least once, in log order; the batch in flight at the kill is sent again,
// and every duplicate is a re-delivered batch's.
const MSM = 9131;
let d: Deployment;
let receiver: WebhookReceiver;
const started = Date.now();

const workerEnv = {
  WEBHOOK_SECRET_KEY: "11".repeat(32),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: "1",
  WEBHOOK_BATCH_SIZE: "20",
  WEBHOOK_BATCH_WAIT_MS: "10",
  WEBHOOK_LEASE_MS: "2000",
  WEBHOOK_TIMEOUT_MS: "1000",
};

beforeAll(async () => {
  d = await Deployment.start({ ingests: 1, gateways: 0 });
  // Slow answers, so that a POST is in flight most of the time.
  receiver = await WebhookReceiver.start(() => ({ status: 200, delayMs: 150 }));
}, 120_000);

afterAll(async () => {
  await d?.stop();
  await receiver?.close();
  console.log(`webhook-worker-kill: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe("fault: kill -9 of the webhook worker mid-delivery", () => {
  it("delivers every result at least once, in order, sending the batch in flight again and duplicating only re-deliveries", async () => {
    const victim: AppProcess = await d.startGateway(workerEnv);
    const { key } = await createApiKey(d.cluster.url, "wendy", ["webhooks:manage"]);
    const created = await restCall(victim.url, "POST", "/api/v2/webhooks/", key, {
      url: receiver.url, secret: "fault-test-secret-0001", subscription: { stream_type: "result", msm: MSM },
    });
    expect(created.status).toBe(201);
    // A second worker, started after the first took the lease: it waits for the lease to expire.
    await sleep(500);
    const survivor = await d.startGateway(workerEnv);

    const sender = new ResultSender({ ingestUrls: () => d.liveIngestUrls(), probe: await d.probe(), msmId: MSM, batchSize: 10, intervalMs: 20 });
    sender.start();
    await waitUntil("deliveries under way", () => receiver.deliveries.length >= 5, 20_000);
    // The next POST is answered late, so the kill surely lands while it is in flight (unacknowledged).
    const answer = receiver.behaviour;
    receiver.behaviour = () => ({ status: 200, delayMs: 5_000 });
    const count = receiver.deliveries.length;
    await waitUntil("a new POST", () => receiver.deliveries.length > count, 10_000, 10);
    const inFlight: ReceivedDelivery = receiver.deliveries[count]!;
    await victim.kill9();
    receiver.behaviour = answer;
    console.log(`kill -9 of the delivering gateway with delivery ${String(inFlight.headers["x-probestream-delivery"])} in flight`);
    await sleep(1_000);
    await sender.drain();
    const stored = await d.cluster.query<{ p: string }>(
      "SELECT tx::text || lpad(id::text, 12, '0') AS p FROM results WHERE msm_id = $1 ORDER BY tx, id", [MSM],
    );
    const expected = stored.map((r) => r.p);
    await waitUntil("every result delivered", () => new Set(receiver.acknowledgedPositions()).size >= expected.length, 30_000);

    const firstSeen = [...new Set(receiver.acknowledgedPositions())];
    // Batches sent again: the one in flight at the kill, and any that was not acknowledged.
    const redelivered = new Set([
      ...inFlight.positions,
      ...receiver.deliveries.filter((x) => !WebhookReceiver.acknowledged(x)).flatMap((x) => x.positions),
    ]);
    const times = new Map<string, number>();
    for (const p of receiver.allPositions()) times.set(p, (times.get(p) ?? 0) + 1);
    const duplicated = [...times].filter(([, n]) => n > 1).map(([p]) => p);
    console.log(`stored ${expected.length}, deliveries ${receiver.deliveries.length}, duplicates ${duplicated.length} (re-delivered batch of ${inFlight.positions.length})`);
    expect(sender.unacknowledged).toBe(0);
    expect(firstSeen).toEqual(expected);
    // Every duplicate is a re-delivered batch's ...
    for (const p of duplicated) expect(redelivered.has(p), p).toBe(true);
    // ... and the batch in flight was sent again by the survivor, from its first position, and acknowledged.
    const resent = receiver.deliveries.slice(count + 1).find((x) => x.positions[0] === inFlight.positions[0]);
    expect(resent, "the in-flight batch sent again").toBeDefined();
    expect(resent!.positions.slice(0, inFlight.positions.length)).toEqual(inFlight.positions);
    expect(WebhookReceiver.acknowledged(resent!)).toBe(true);
    expect(survivor.alive).toBe(true);
  }, 120_000);
});
