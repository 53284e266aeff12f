import { createPool, ResultReader, DEFAULT_DATABASE_URL } from "@probestream/db";
import { busNamespaceOf, createBus } from "@probestream/bus";
import { closeOnSignals, serviceShutdown, envCount, envFlag, envPort, envString, metricsAccessFromEnv } from "@probestream/service-kit";
import { createGatewayApp } from "./app.js";
import { webhookOptionsFromEnv } from "./webhooks/index.js";
import { DEFAULT_LIMITS } from "./streaming/limits.js";

// The gateway alone: with REDIS_URL, any number of these serve the results of any number of ingests.
const databaseUrl = envString("DATABASE_URL") ?? DEFAULT_DATABASE_URL;
const redisUrl = envString("REDIS_URL");
const pool = createPool(databaseUrl, 20);
const namespace = envString("BUS_NAMESPACE") ?? busNamespaceOf(databaseUrl);
const bus = createBus(redisUrl, namespace);
const app = await createGatewayApp({
  pool,
  // The retention's export (the ingest's RESULTS_EXPORT_DIR, shared): downloads serve dropped days from it.
  reader: new ResultReader(pool, { exportDir: envString("RESULTS_EXPORT_DIR") }),
  bus,
  redisUrl,
  redisNamespace: namespace,
  publicUrl: envString("GATEWAY_PUBLIC_URL"),
  trustProxy: envFlag("GATEWAY_TRUST_PROXY"),
  corsOrigins: envString("GATEWAY_CORS_ORIGINS")?.split(",").map((o) => o.trim()).filter((o) => o !== ""),
  metrics: metricsAccessFromEnv(),
  // Many users behind one NAT or proxy share an address: operators raise this for them.
  // Webhooks need WEBHOOK_SECRET_KEY (every gateway of a deployment the same); each gateway also delivers unless WEBHOOK_WORKER=0.
  webhooks: webhookOptionsFromEnv(),
  limits: { sessionsPerAddress: envCount("STREAM_SESSIONS_PER_ADDRESS", DEFAULT_LIMITS.sessionsPerAddress) },
});
if (!redisUrl) app.log.warn("REDIS_URL is not set: live streams carry only results ingested in this process");

closeOnSignals(app.log, () => serviceShutdown(app, bus, pool));
// Loopback unless told otherwise: exposing the gateway is the operator's choice (GATEWAY_HOST=0.0.0.0).
await app.listen({ host: envString("GATEWAY_HOST") ?? "127.0.0.1", port: envPort("GATEWAY_PORT", 8080) });
