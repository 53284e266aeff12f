import type { AddressInfo } from "node:net";
import { createPool, ResultReader } from "@probestream/db";
import { busNamespaceOf, createBus } from "@probestream/bus";
import { createIngestApp } from "@probestream/ingest";
import { createGatewayApp, type StreamLimits, type WebhookOptions } from "@probestream/gateway";

export interface PlatformOptions {
  databaseUrl: string;
  /** Without it, ingest and gateway share this process's in-process bus. */
  redisUrl?: string;
  host?: string;
  /** 0 picks a free port. */
  gatewayPort: number;
  ingestPort: number;
  ingestAdminToken?: string;
  controller?: string;
  logger?: boolean | object;
  streamLimits?: Partial<StreamLimits>;
  /** Heartbeat period of probe sessions (default 20 s). */
  probeHeartbeatMs?: number;
  /** How often ingest records what results show about probes and refreshes their system tags (default 10 s). */
  evidenceFlushMs?: number;
  /** Results older than this many days are refused by ingest (default: any age). */
  maxResultAgeDays?: number;
  /** Days of results kept (ingest's `retentionDays`). */
  retentionDays?: number;
  /** Where expired partitions are exported before their drop, and downloads read them (ingest's `exportDir`). */
  resultsExportDir?: string;
  /** Redis channel namespace; default: derived from the database URL (apps sharing a database share it). */
  busNamespace?: string;
  /** The gateway's public base URL, for links in API answers (see the gateway's `publicUrl`). */
  gatewayPublicUrl?: string;
  /** Trust `X-Forwarded-*` from the proxy in front of the gateway (default no). */
  gatewayTrustProxy?: boolean;
  /** Webhooks: their API and a delivery worker in this process (without, `/api/v2/webhooks/` answers 503). */
  webhooks?: WebhookOptions;
}

export interface Platform {
  gatewayUrl: string;
  ingestUrl: string;
  close(): Promise<void>;
}

function urlOf(address: AddressInfo | string | null, host: string): string {
  if (address === null || typeof address === "string") throw new Error("server is not listening on TCP");
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${shown}:${address.port}`;
}

/** Ingest and gateway in one process, each on its own port, sharing one pool and one bus. */
export async function startPlatform(opts: PlatformOptions): Promise<Platform> {
  const host = opts.host ?? "127.0.0.1";
  const pool = createPool(opts.databaseUrl, 20);
  const namespace = opts.busNamespace ?? busNamespaceOf(opts.databaseUrl);
  const bus = createBus(opts.redisUrl, namespace);
  const logger = opts.logger ?? false;
  const ingest = await createIngestApp(
    { pool, bus, adminToken: opts.ingestAdminToken, controller: opts.controller, probeHeartbeatMs: opts.probeHeartbeatMs, evidenceFlushMs: opts.evidenceFlushMs,
      maxResultAgeDays: opts.maxResultAgeDays, retentionDays: opts.retentionDays,
      exportDir: opts.resultsExportDir },
    logger,
  );
  const gateway = await createGatewayApp(
    {
      pool,
      reader: new ResultReader(pool, { exportDir: opts.resultsExportDir }),
      bus,
      limits: opts.streamLimits,
      redisUrl: opts.redisUrl,
      redisNamespace: namespace,
      publicUrl: opts.gatewayPublicUrl,
      trustProxy: opts.gatewayTrustProxy,
      webhooks: opts.webhooks,
    },
    logger,
  );
  // Ingest first: once the gateway answers, the whole platform does.
  await ingest.listen({ host, port: opts.ingestPort });
  await gateway.listen({ host, port: opts.gatewayPort });
  return {
    gatewayUrl: urlOf(gateway.server.address(), host),
    ingestUrl: urlOf(ingest.server.address(), host),
    async close() {
      await ingest.close();
      await gateway.close();
      await bus.close();
      await pool.end();
    },
  };
}
