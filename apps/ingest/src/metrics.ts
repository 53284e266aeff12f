import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export class IngestMetrics {
  readonly stored: Counter;
  readonly duplicates: Counter;
  readonly rejected: Counter;
  readonly batchSeconds: Histogram;
  readonly publishFailures: Counter;
  readonly relayed: Counter<"source">;
  readonly probeSessions: Gauge;
  readonly partitionsExported: Counter;
  readonly partitionsDropped: Counter;
  readonly partitionExportFailures: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.stored = new Counter({ name: "ingest_results_stored_total", help: "Results committed to Postgres", registers });
    this.duplicates = new Counter({
      name: "ingest_results_duplicate_total",
      help: "Results sent again by a probe, already stored",
      registers,
    });
    this.rejected = new Counter({ name: "ingest_results_rejected_total", help: "Results refused", registers });
    this.batchSeconds = new Histogram({
      name: "ingest_batch_store_seconds",
      help: "Time to commit one batch",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.publishFailures = new Counter({
      name: "ingest_publish_failures_total",
      help: "Relay rounds that failed to publish committed results (bus or database unavailable); they are retried",
      registers,
    });
    this.relayed = new Counter({
      name: "ingest_relay_results_published_total",
      help: "Results the relay published: from this process's commits proven final (commit) or read back from the log (log)",
      labelNames: ["source"],
      registers,
    });
    this.probeSessions = new Gauge({
      name: "ingest_probe_sessions",
      help: "Probes connected to this controller",
      registers,
    });
    this.partitionsExported = new Counter({
      name: "ingest_results_partitions_exported_total",
      help: "Expired daily results partitions written to RESULTS_EXPORT_DIR before their drop",
      registers,
    });
    this.partitionsDropped = new Counter({
      name: "ingest_results_partitions_dropped_total",
      help: "Daily results partitions dropped past RESULTS_RETENTION_DAYS",
      registers,
    });
    this.partitionExportFailures = new Counter({
      name: "ingest_results_partition_export_failures_total",
      help: "Expired partitions whose export failed: kept, and tried again on the next round",
      registers,
    });
  }

  observeBatch(stored: number, duplicates: number, rejected: number, startedNs: bigint): void {
    this.stored.inc(stored);
    this.duplicates.inc(duplicates);
    this.rejected.inc(rejected);
    this.batchSeconds.observe(Number(process.hrtime.bigint() - startedNs) / 1e9);
  }
}
