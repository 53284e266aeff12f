import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { WebhookStore } from "@probestream/db";

export class WebhookMetrics {
  readonly attempts: Counter<"outcome">;
  readonly results: Counter;
  readonly attemptSeconds: Histogram;
  readonly commitToPostSeconds: Histogram;
  readonly leased: Gauge;

  constructor(registry: Registry, store: WebhookStore) {
    const registers = [registry];
    this.attempts = new Counter({
      name: "webhook_delivery_attempts_total",
      help: "Webhook delivery attempts (POSTs), by outcome: delivered (2xx) or failed",
      labelNames: ["outcome"],
      registers,
    });
    this.results = new Counter({ name: "webhook_results_delivered_total", help: "Results acknowledged by webhook receivers", registers });
    this.attemptSeconds = new Histogram({
      name: "webhook_attempt_seconds",
      help: "Duration of one webhook POST, to the end of the answer",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.commitToPostSeconds = new Histogram({
      name: "webhook_commit_to_post_seconds",
      help: "From a result's storing to the start of the POST that delivered it (first attempts)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.leased = new Gauge({ name: "webhook_leased", help: "Webhooks this process delivers now (holds the lease of)", registers });
    new Gauge({
      name: "webhooks",
      help: "Webhooks of the deployment by state (failing: the retry window ran out; waiting to be resumed)",
      labelNames: ["state"],
      registers,
      async collect() {
        const counts = await store.countByState().catch(() => null);
        if (!counts) return;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  }
}
