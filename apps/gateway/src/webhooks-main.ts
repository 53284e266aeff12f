import Fastify from "fastify";
import { createPool, DEFAULT_DATABASE_URL } from "@probestream/db";
import { busNamespaceOf, createBus } from "@probestream/bus";
import { closeOnSignals, serviceShutdown, envNice, envPort, envString, installErrorHandlers, loggerOptions, lowerCpuPriority, metricsAccessFromEnv } from "@probestream/service-kit";
import { webhookOptionsFromEnv } from "./webhooks/index.js";
import { webhookWorkerPlugin } from "./webhooks/plugin.js";

// A webhook delivery worker alone: any number of these share the webhooks (leases in PostgreSQL),
// woken by the ingests' commits on REDIS_URL; the gateways then run with WEBHOOK_WORKER=0.
const webhooks = webhookOptionsFromEnv();
if (!webhooks) {
  console.error("WEBHOOK_SECRET_KEY is not set: the webhook worker cannot open the secrets it signs with");
  process.exit(1);
}
// Delivery is background work: on a machine it shares with gateways and ingest, the streams'
// processes get the CPU first, so that slow or dead receivers' retries never slow the stream.
lowerCpuPriority(envNice("WEBHOOK_WORKER_NICE", 10));
const databaseUrl = envString("DATABASE_URL") ?? DEFAULT_DATABASE_URL;
const redisUrl = envString("REDIS_URL");
const pool = createPool(databaseUrl, 10);
const bus = createBus(redisUrl, envString("BUS_NAMESPACE") ?? busNamespaceOf(databaseUrl));
const logger: object = loggerOptions();
const app = Fastify({ logger, forceCloseConnections: true });
installErrorHandlers(app);
await app.register(webhookWorkerPlugin, { pool, bus, webhooks, metrics: metricsAccessFromEnv() });
if (!redisUrl) app.log.warn("REDIS_URL is not set: the worker hears of no commit and finds new results by polling");

closeOnSignals(app.log, () => serviceShutdown(app, bus, pool));
await app.listen({ host: envString("WEBHOOKS_HOST") ?? "127.0.0.1", port: envPort("WEBHOOKS_PORT", 8082) });
