import type { FastifyInstance } from "fastify";
import { timingSafeEqual } from "node:crypto";
import { Registry, collectDefaultMetrics } from "prom-client";
import { HttpError } from "./errors.js";
import { envFlag, envString } from "./listen.js";

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

/**
 * Who may read `/metrics` on the app's port: anyone (`"open"`), a scraper sending
 * `Authorization: Bearer TOKEN`, or nobody (`"off"`: 404, for metrics kept off a public port).
 */
export type MetricsAccess = "open" | "off" | { token: string };

/** The access the `METRICS_TOKEN` and `METRICS_OPEN` settings give: off unless one is set. */
export function metricsAccessFromEnv(): MetricsAccess {
  const token = envString("METRICS_TOKEN");
  if (token) return { token };
  return envFlag("METRICS_OPEN") ? "open" : "off";
}

export function serveMetrics(fastify: FastifyInstance, registry: Registry, access: MetricsAccess = "open"): void {
  if (access === "off") return;
  const expected = access === "open" ? undefined : Buffer.from(`Bearer ${access.token}`);
  fastify.get("/metrics", async (request, reply) => {
    if (expected !== undefined) {
      const given = Buffer.from(request.headers.authorization ?? "");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new HttpError(401, "/metrics needs Authorization: Bearer with the metrics token");
      }
    }
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
