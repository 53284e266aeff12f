import type { FastifyInstance } from "fastify";
import type { Pool } from "@probestream/db";
import type { MessageBus } from "@probestream/bus";
import { createMetricsRegistry, serveMetrics, type MetricsAccess } from "@probestream/service-kit";
import { Webhooks, type WebhookOptions } from "./index.js";

export interface WebhookWorkerOptions {
  pool: Pool;
  /** The bus the ingests publish on: commits wake the worker's lanes (without it they poll). */
  bus: MessageBus;
  webhooks: WebhookOptions;
  metrics?: MetricsAccess;
}

/**
 * A webhook delivery worker on its own, for any process to host: run alone (webhooks-main.ts), it
 * delivers away from the streams' event loop, and the gateways serve the webhook API with
 * WEBHOOK_WORKER=0. Its `/metrics` tells the webhooks' states, as a gateway's does.
 */
export async function webhookWorkerPlugin(fastify: FastifyInstance, opts: WebhookWorkerOptions): Promise<void> {
  const registry = createMetricsRegistry("webhooks");
  const webhooks = new Webhooks(opts.pool, opts.bus, registry, fastify.log, { ...opts.webhooks, worker: true });
  await webhooks.start();
  fastify.addHook("preClose", () => webhooks.stop());
  serveMetrics(fastify, registry, opts.metrics);
}
