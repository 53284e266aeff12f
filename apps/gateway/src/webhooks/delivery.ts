import { randomUUID } from "node:crypto";
import type { DeliveryAttempt, WebhookRow, WebhookStore } from "@probestream/db";
import type { WebhookEventKind } from "@probestream/types";
import type { SecretBox } from "./secret-box.js";
import type { SendOutcome, WebhookSender } from "./sender.js";
import { SIGNATURE_HEADER, signature } from "./signing.js";
import type { WebhookMetrics } from "./metrics.js";

/** One batch as POSTed: the events of the webhook's stream type in position order, with their positions. */
export interface Batch {
  deliveryId: string;
  event: WebhookEventKind | "test";
  results: { position: string; json: string }[];
}

/**
 * The body of a delivery: the events as the stream sends them (for results the probe's JSON,
 * verbatim; for the other stream types the payloads of `atlas_alert`, `atlas_probestatus`,
 * `atlas_metadata`) under `results`, one shape for every kind, and beside them their positions, so
 * a receiver recognises a re-delivery by position.
 */
export function deliveryBody(webhookId: number, batch: Batch): string {
  const first = batch.results[0]?.position ?? null;
  const last = batch.results[batch.results.length - 1]?.position ?? null;
  return `{"webhook_id":${webhookId},"delivery_id":"${batch.deliveryId}","event":"${batch.event}",` +
    `"first_position":${JSON.stringify(first)},"last_position":${JSON.stringify(last)},` +
    `"positions":${JSON.stringify(batch.results.map((r) => r.position))},` +
    `"results":[${batch.results.map((r) => r.json).join(",")}]}`;
}

export const newBatch = (event: Batch["event"], results: Batch["results"]): Batch => ({ deliveryId: randomUUID(), event, results });

/** Signing, sending and recording one attempt: shared by the worker and the API's test event. */
export class WebhookPoster {
  constructor(
    readonly store: WebhookStore,
    readonly box: SecretBox,
    readonly sender: WebhookSender,
    readonly metrics: WebhookMetrics,
  ) {}

  /**
   * One signed POST of the batch; `recorded` resolves to its id among the webhook's attempts once
   * stored (the worker saves its position meanwhile, instead of after it).
   */
  async attempt(webhook: WebhookRow, batch: Batch, attempt: number, signal?: AbortSignal): Promise<{ outcome: SendOutcome; recorded: Promise<number> }> {
    const body = deliveryBody(webhook.id, batch);
    const first = batch.results[0]?.position;
    const last = batch.results[batch.results.length - 1]?.position;
    let outcome: SendOutcome;
    try {
      const secret = this.box.open(webhook.secretSealed, webhook.userId);
      const timestamp = Math.floor(Date.now() / 1000);
      outcome = await this.sender.post(webhook.url, {
        [SIGNATURE_HEADER]: signature(secret, timestamp, body),
        "x-probestream-webhook": String(webhook.id),
        "x-probestream-delivery": batch.deliveryId,
        "x-probestream-event": batch.event,
        "x-probestream-attempt": String(attempt),
        "x-probestream-timestamp": String(timestamp),
        ...(first !== undefined ? { "x-probestream-first-position": first, "x-probestream-last-position": last! } : {}),
      }, body, signal);
    } catch {
      // Sealed under another server key (WEBHOOK_SECRET_KEY changed): nothing can be signed.
      outcome = { ok: false, statusCode: null, latencyMs: 0, error: "the secret cannot be opened with this server's key", retryAfterMs: null };
    }
    this.metrics.attempts.inc({ outcome: outcome.ok ? "delivered" : "failed" });
    this.metrics.attemptSeconds.observe(outcome.latencyMs / 1000);
    const record: DeliveryAttempt = {
      webhookId: webhook.id,
      deliveryId: batch.deliveryId,
      attempt,
      event: batch.event,
      firstPosition: first ?? null,
      lastPosition: last ?? null,
      results: batch.results.length,
      outcome: outcome.ok ? "delivered" : "failed",
      statusCode: outcome.statusCode,
      latencyMs: outcome.latencyMs,
      error: outcome.error,
    };
    return { outcome, recorded: this.store.recordAttempt(record) };
  }
}
