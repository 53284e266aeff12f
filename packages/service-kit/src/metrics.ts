import type { FastifyInstance } from "fastify";
import { Registry, collectDefaultMetrics } from "prom-client";

/**
 * A registry per app instance (one process may host several apps) served on `/metrics` in the
 * Prometheus text format; the process metrics go into the first registry only.
 */
let processMetricsTaken = false;

export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  if (!processMetricsTaken) {
    processMetricsTaken = true;
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}

export function serveMetrics(fastify: FastifyInstance, registry: Registry): void {
  fastify.get("/metrics", async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
