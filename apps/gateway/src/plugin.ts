import type { FastifyInstance } from "fastify";
import type { ResultReader } from "@probestream/db";
import type { MessageBus } from "@probestream/bus";
import { createMetricsRegistry, serveMetrics } from "@probestream/service-kit";
import { GatewayMetrics } from "./metrics.js";
import { StreamServer } from "./streaming/stream-server.js";
import { resultsRoutes } from "./routes/results.js";
import { socketIoClientRoute } from "./routes/socket-io-client.js";

export interface GatewayOptions {
  reader: ResultReader;
  bus: MessageBus;
}

/**
 * The user-facing read path as a fastify plugin: live streams on `/stream/socket.io`, stored
 * results on the REST API v2, the socket.io browser client, and `/metrics`.
 */
export async function gatewayPlugin(fastify: FastifyInstance, opts: GatewayOptions): Promise<void> {
  const registry = createMetricsRegistry("gateway");
  const metrics = new GatewayMetrics(registry);
  const stream = new StreamServer(fastify.server, { bus: opts.bus, metrics, log: fastify.log });
  await stream.start();
  fastify.addHook("preClose", async () => stream.close());

  serveMetrics(fastify, registry);
  await fastify.register(socketIoClientRoute);
  await fastify.register(resultsRoutes, { reader: opts.reader });
}
