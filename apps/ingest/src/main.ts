import { createPool, DEFAULT_DATABASE_URL, DEFAULT_MAX_WAITING_RESULTS } from "@probestream/db";
import { busNamespaceOf, createBus } from "@probestream/bus";
import { closeOnSignals, serviceShutdown, envCount, envOptionalCount, envPort, envString, metricsAccessFromEnv } from "@probestream/service-kit";
import { createIngestApp } from "./app.js";

// The ingest service alone: with REDIS_URL, any number of these feed any number of gateways.
const databaseUrl = envString("DATABASE_URL") ?? DEFAULT_DATABASE_URL;
const redisUrl = envString("REDIS_URL");
const pool = createPool(databaseUrl, 20);
const bus = createBus(redisUrl, envString("BUS_NAMESPACE") ?? busNamespaceOf(databaseUrl));
const app = await createIngestApp({
  pool,
  bus,
  adminToken: envString("INGEST_ADMIN_TOKEN"),
  controller: envString("INGEST_CONTROLLER_NAME") ?? "ctr-local",
  openMeasurements: envString("INGEST_OPEN_MEASUREMENTS") !== "0",
  maxResultAgeDays: Number(envString("INGEST_MAX_RESULT_AGE_DAYS") ?? 30),
  retentionDays: envOptionalCount("RESULTS_RETENTION_DAYS"),
  exportDir: envString("RESULTS_EXPORT_DIR"),
  metrics: metricsAccessFromEnv(),
  maxWaitingResults: envCount("INGEST_MAX_WAITING_RESULTS", DEFAULT_MAX_WAITING_RESULTS),
});
if (!redisUrl) app.log.warn("REDIS_URL is not set: results are stored but reach no gateway in another process");

closeOnSignals(app.log, () => serviceShutdown(app, bus, pool));
// Loopback unless told otherwise: exposing ingest to probes is the operator's choice (INGEST_HOST=0.0.0.0).
await app.listen({ host: envString("INGEST_HOST") ?? "127.0.0.1", port: envPort("INGEST_PORT", 8081) });
