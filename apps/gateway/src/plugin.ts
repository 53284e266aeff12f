import type { FastifyInstance } from "fastify";
import compress from "@fastify/compress";
import helmet from "@fastify/helmet";
import type { Pool, ResultReader } from "@probestream/db";
import type { MessageBus } from "@probestream/bus";
import { createMetricsRegistry, serveMetrics, type MetricsAccess } from "@probestream/service-kit";
import { ApiKeys } from "./access/api-keys.js";
import { GatewayMetrics } from "./metrics.js";
import { DEFAULT_LIMITS, StreamHub, type StreamLimits } from "./streaming/stream-hub.js";
import { attachSocketIo } from "./streaming/transports/socket-io.js";
import { attachWebSocket } from "./streaming/transports/websocket.js";
import { httpStreamRoute } from "./streaming/transports/http-stream.js";
import { socketIoClientRoute } from "./routes/socket-io-client.js";
import { apiPlugin, DEFAULT_RATE_LIMITS, installRateLimits, type RateLimits } from "./api/index.js";
import { resolveCallers } from "./api/caller.js";
import { installCors } from "./api/cors.js";
import { installBaseUrl } from "./api/public-url.js";
import { Webhooks, type WebhookOptions } from "./webhooks/index.js";

export interface GatewayOptions {
  pool: Pool;
  reader: ResultReader;
  bus: MessageBus;
  limits?: Partial<StreamLimits>;
  /** Redis for rate-limit counters shared by all gateways (in-memory counters without it). */
  redisUrl?: string;
  /** Redis key namespace of the deployment; default "probestream". */
  redisNamespace?: string;
  rateLimits?: Partial<RateLimits>;
  /**
   * Public base URL of links in API answers (`https://atlas.example.net`) when the gateway is behind a
   * proxy; without it, links use the request's scheme and host.
   */
  publicUrl?: string;
  /**
   * Whether the proxy in front is trusted: its `X-Forwarded-Proto`/`-Host`/`-For` then give the
   * scheme, host and client address (fastify's `trustProxy`, set by `createGatewayApp`). Default off.
   */
  trustProxy?: boolean;
  /** Origins whose scripts may send keyed requests (CORS); public reads are open to every origin. */
  corsOrigins?: readonly string[];
  /** Who may read `/metrics` on this port; default open (embedders bind where they choose). */
  metrics?: MetricsAccess;
  /** Webhooks (API, and a delivery worker unless `worker: false`); without them `/api/v2/webhooks/` answers 503. */
  webhooks?: WebhookOptions;
}

/**
 * The user-facing read path as a fastify plugin: live and historical streams over socket.io
 * (`/stream/socket.io`), plain WebSocket and HTTP (`/stream/`), stored results on the REST API v2,
 * the socket.io browser client, and `/metrics`.
 */
export async function gatewayPlugin(fastify: FastifyInstance, opts: GatewayOptions): Promise<void> {
  installBaseUrl(fastify, opts.publicUrl);
  // RIPE clients send `Content-Type: application/json` on every verb, DELETE included, with no body.
  const json = fastify.getDefaultJsonParser("error", "error");
  fastify.removeContentTypeParser("application/json");
  fastify.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (body.length === 0) done(null, undefined);
    else void json(request, body.toString(), done);
  });
  const keys = new ApiKeys(opts.pool);
  // What applies to every route: the caller, CORS, limits, security headers, compression.
  resolveCallers(fastify, keys);
  await installCors(fastify, opts.corsOrigins ?? []);
  await installRateLimits(fastify, {
    limits: { ...DEFAULT_RATE_LIMITS, ...opts.rateLimits },
    redisUrl: opts.redisUrl,
    redisNamespace: opts.redisNamespace ?? "probestream",
  });
  // Scripts and the socket.io client are loaded by pages of other origins (the portal).
  await fastify.register(helmet, { crossOriginResourcePolicy: { policy: "cross-origin" } });
  // gzip for JSON, text and HTML answers when the client accepts it; the stream transports write
  // to the socket themselves and are left alone.
  // Answers made whole in memory (a status check of 1,024 probes is ~180 KB) are compressed in one
  // call up to 256 KiB: the plugin's default on two cores, 8 KiB, streams larger ones through zlib
  // 16 KiB at a time, an event-loop turn each, which under ingest took a status check's p99 from
  // 25 ms (uncompressed) to 52 ms (bench:status-check). Streamed answers (downloads) still stream.
  await fastify.register(compress, { encodings: ["gzip", "deflate"], globalDecompression: false, syncThreshold: 256 * 1024 });
  const registry = createMetricsRegistry("gateway");
  const metrics = new GatewayMetrics(registry);
  const hub = new StreamHub({
    bus: opts.bus,
    pool: opts.pool,
    metrics,
    log: fastify.log,
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
  });
  await hub.start();
  const io = attachSocketIo(fastify.server, hub, keys);
  const wss = attachWebSocket(fastify.server, hub, keys);
  fastify.addHook("preClose", async () => {
    await hub.stop();
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    // Not io.close(): it closes the HTTP server and waits for every connection, an open download
    // included; fastify closes the server, and cuts what is still open, after this hook.
    io.disconnectSockets(true);
    io.engine.close();
    metrics.stop();
  });

  const webhooks = opts.webhooks && new Webhooks(opts.pool, opts.bus, registry, fastify.log, opts.webhooks);
  if (webhooks) {
    await webhooks.start();
    fastify.addHook("preClose", () => webhooks.stop());
  }

  await fastify.register(apiPlugin, { pool: opts.pool, reader: opts.reader, bus: opts.bus, statusChecks: hub.statusChecks, webhooks });
  serveMetrics(fastify, registry, opts.metrics);
  await fastify.register(socketIoClientRoute);
  await fastify.register(httpStreamRoute, { hub });
}
