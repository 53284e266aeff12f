import type { FastifyInstance } from "fastify";
import underPressure from "@fastify/under-pressure";
import { ResultWriter, maintainPartitions, type Pool } from "@probestream/db";
import type { MessageBus } from "@probestream/bus";
import { createMetricsRegistry, serveMetrics, type MetricsAccess } from "@probestream/service-kit";
import { ProbeAuthenticator } from "./probe-auth.js";
import { IngestMetrics } from "./metrics.js";
import { ProbeEvidenceRecorder } from "./probe-evidence.js";
import { ResultAdmission } from "./result-admission.js";
import { ResultRelay } from "./result-relay.js";
import { ProbeSessions } from "./probe-sessions.js";
import { registerRoute } from "./routes/register.js";
import { resultsRoute } from "./routes/results.js";
import { MeasurementScheduler } from "./scheduler/index.js";

export interface IngestOptions {
  pool: Pool;
  bus: MessageBus;
  /** Bearer token for probe registration; registration is refused without one. */
  adminToken?: string;
  /** This controller's name in probe status events. */
  controller?: string;
  /** Most results in one batch (default 10,000). */
  maxBatchItems?: number;
  /** Largest batch body in bytes (default 16 MiB). */
  bodyLimit?: number;
  /** Heartbeat period of probe sessions; a probe silent for two periods is disconnected (default `PROBE_HEARTBEAT_MS`, 20 s). */
  probeHeartbeatMs?: number;
  /** How often the scheduler looks for due measurement changes (default 1 s). */
  schedulerIntervalMs?: number;
  /** How often what results show about their probes is written and their system tags refreshed (default 10 s). */
  evidenceFlushMs?: number;
  /**
   * Whether measurements nobody owns (the demo's, imported ids, ids first seen in results) take
   * results from any registered probe (default true); a user's measurement always takes them only
   * from its assigned probes.
   */
  openMeasurements?: boolean;
  /** Results older than this many days are refused (default: any age). */
  maxResultAgeDays?: number;
  /**
   * Days of results kept: daily partitions older than this many whole days before today are dropped
   * (hourly), and results that old are refused (default: kept for ever).
   */
  retentionDays?: number;
  /**
   * With a retention: write each expired partition here before dropping it, as gzip files of one
   * served result per line (the gateway's downloads read them; default: drop only).
   */
  exportDir?: string;
  /** Who may read `/metrics` on this port; default open (embedders bind where they choose). */
  metrics?: MetricsAccess;
  /** Results waiting to be committed at most; past it batches get 503 with Retry-After (default 50,000). */
  maxWaitingResults?: number;
  /** An event loop lagging this long (ms) answers 503 with Retry-After until it recovers (default 2,000). */
  maxEventLoopDelayMs?: number;
}

/**
 * The probe-facing write path as a fastify plugin: registration, result batches, probe sessions
 * and `/metrics`. It owns the socket.io server on `/probe/socket.io` of the instance's HTTP server.
 */
export async function ingestPlugin(fastify: FastifyInstance, opts: IngestOptions): Promise<void> {
  const registry = createMetricsRegistry("ingest");
  const metrics = new IngestMetrics(registry);
  const auth = new ProbeAuthenticator(opts.pool);
  // Committed results reach the bus through the relay, in log order, whatever process committed them.
  const relay = new ResultRelay({ pool: opts.pool, bus: opts.bus, log: fastify.log, metrics });
  const writer = new ResultWriter(opts.pool, (turn) => relay.committed(turn), opts.maxWaitingResults);
  // Overload is refused with 503 + Retry-After (probes send again), never buffered without limit:
  // the writer bounds its queue, and a process too busy to answer in time says so.
  await fastify.register(underPressure, {
    maxEventLoopDelay: opts.maxEventLoopDelayMs ?? 2000,
    retryAfter: 2,
    message: "Ingest is overloaded; send again after Retry-After",
  });
  relay.start();
  const stopPartitionUpkeep = maintainPartitions(opts.pool, (err) => fastify.log.error({ err }, "results partition upkeep failed"), {
    retentionDays: opts.retentionDays,
    exportDir: opts.exportDir,
    onExported: ({ partition, results }) => {
      metrics.partitionsExported.inc();
      fastify.log.info({ partition, results, exportDir: opts.exportDir }, "exported results partition before its drop");
    },
    onDropped: (partition) => {
      metrics.partitionsDropped.inc();
      fastify.log.info({ partition, retentionDays: opts.retentionDays }, "dropped results partition past the retention");
    },
    onExportFailed: (err) => {
      metrics.partitionExportFailures.inc();
      fastify.log.error({ err, partition: err.partition }, "results partition export failed: kept, tried again next round");
    },
  });
  fastify.addHook("onClose", async () => stopPartitionUpkeep());
  const sessions = new ProbeSessions(fastify.server, {
    heartbeatMs: opts.probeHeartbeatMs,
    pool: opts.pool,
    bus: opts.bus,
    auth,
    metrics,
    controller: opts.controller ?? "ctr-local",
    log: fastify.log,
  });
  const scheduler = new MeasurementScheduler({
    pool: opts.pool, bus: opts.bus, io: sessions.io, log: fastify.log, intervalMs: opts.schedulerIntervalMs,
  });
  await scheduler.start();
  const evidence = new ProbeEvidenceRecorder(opts.pool, fastify.log, { flushMs: opts.evidenceFlushMs ?? 10_000, sweepMs: 600_000 });
  fastify.addHook("preClose", async () => {
    await scheduler.stop();
    await sessions.close();
    await evidence.close();
    await relay.stop();
  });

  serveMetrics(fastify, registry, opts.metrics);
  await fastify.register(registerRoute, { pool: opts.pool, auth, adminToken: opts.adminToken });
  await fastify.register(resultsRoute, {
    writer,
    bus: opts.bus,
    auth,
    metrics,
    evidence,
    admission: new ResultAdmission(opts.pool, opts.openMeasurements ?? true),
    // A result older than the retention would bring its dropped day back.
    maxResultAgeSeconds: maxResultAgeDays(opts) === undefined ? undefined : maxResultAgeDays(opts)! * 86_400,
    maxBatchItems: opts.maxBatchItems ?? 10_000,
    bodyLimit: opts.bodyLimit ?? 16 * 1024 * 1024,
  });
}

/** The oldest a result may be, in days: the lesser of the age limit and the retention. */
function maxResultAgeDays(opts: IngestOptions): number | undefined {
  const limits = [opts.maxResultAgeDays, opts.retentionDays].filter((d): d is number => d !== undefined);
  return limits.length > 0 ? Math.min(...limits) : undefined;
}
