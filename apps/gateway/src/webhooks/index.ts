import type { FastifyBaseLogger } from "fastify";
import type { Registry } from "prom-client";
import { createPool, StreamHistory, WebhookStore, type Pool } from "@probestream/db";
import { Channels, encodeWebhookChanged, type MessageBus } from "@probestream/bus";
import { envCount, envFlag, envString } from "@probestream/service-kit";
import { WebhookMetrics } from "./metrics.js";
import { SecretBox } from "./secret-box.js";
import { WebhookSender, type SenderSettings } from "./sender.js";
import { WebhookPoster } from "./delivery.js";
import { DEFAULT_WORKER_SETTINGS, WebhookWorker, type WorkerSettings } from "./worker.js";

export interface WebhookOptions {
  /** 32 bytes that seal webhook secrets at rest (WEBHOOK_SECRET_KEY). */
  secretKey: Buffer;
  /** Loopback, private and link-local targets allowed (WEBHOOK_ALLOW_PRIVATE_TARGETS): self-hosting and tests. */
  allowPrivateTargets?: boolean;
  /** Whether this process delivers (hosts a worker); default yes. The API is served either way. */
  worker?: boolean;
  settings?: Partial<WorkerSettings>;
  sender?: Partial<Omit<SenderSettings, "allowPrivateTargets">>;
}

const DEFAULT_SENDER_SETTINGS = { timeoutMs: 10_000, maxResponseBytes: 64 * 1024 };

/** Webhooks in one process: their store and sealing for the API, and (unless turned off) a delivery worker. */
export class Webhooks {
  readonly store: WebhookStore;
  readonly box: SecretBox;
  readonly sender: WebhookSender;
  readonly poster: WebhookPoster;
  readonly worker: WebhookWorker | null;

  /** Sessions of their own that write no log: the results' relay does not wait for their attempts and positions. */
  private readonly pool: Pool | null;

  constructor(pool: Pool, private readonly bus: MessageBus, registry: Registry, log: FastifyBaseLogger, opts: WebhookOptions) {
    const url = pool.options.connectionString;
    this.pool = url === undefined ? null : createPool(url, 10, { writesNoLog: true });
    const db = this.pool ?? pool;
    this.store = new WebhookStore(db);
    this.box = new SecretBox(opts.secretKey);
    this.sender = new WebhookSender({ ...DEFAULT_SENDER_SETTINGS, ...opts.sender, allowPrivateTargets: opts.allowPrivateTargets ?? false });
    this.poster = new WebhookPoster(this.store, this.box, this.sender, new WebhookMetrics(registry, this.store));
    const settings = { ...DEFAULT_WORKER_SETTINGS, ...opts.settings };
    // A lane POSTs only while its lease outlasts the POST, and leases are renewed every third of theirs.
    if (opts.worker !== false && this.sender.timeoutMs > settings.leaseMs / 2) {
      throw new Error(`WEBHOOK_TIMEOUT_MS (${this.sender.timeoutMs}) must be at most half of WEBHOOK_LEASE_MS (${settings.leaseMs})`);
    }
    this.worker = opts.worker === false ? null : new WebhookWorker(this.store, db, new StreamHistory(db), this.poster, bus, log, settings);
  }

  async start(): Promise<void> {
    await this.worker?.start();
  }

  /**
   * A webhook was created or changed: every worker (this process's, and those of other gateways or
   * of their own, through the bus) looks for webhooks to take now instead of at its next renewal.
   */
  async changed(id: number): Promise<void> {
    this.worker?.tickSoon();
    // Without the bus, the others still take it at their next renewal.
    await this.bus.publish(Channels.webhooks, encodeWebhookChanged(id)).catch(() => undefined);
  }

  async stop(): Promise<void> {
    await this.worker?.stop();
    await this.sender.close();
    await this.pool?.end();
  }
}

export { SecretBox } from "./secret-box.js";
export { verifySignature, signature, SIGNATURE_HEADER } from "./signing.js";
export { DEFAULT_WORKER_SETTINGS, type WorkerSettings } from "./worker.js";

/**
 * Webhook settings from the environment (gateway and standalone mains); undefined without a key
 * (`WEBHOOK_SECRET_KEY`, or `fallbackKey`, the one `npm start` keeps beside its embedded data).
 */
export function webhookOptionsFromEnv(fallbackKey?: Buffer): WebhookOptions | undefined {
  const keyText = envString("WEBHOOK_SECRET_KEY");
  const secretKey = keyText !== undefined ? SecretBox.keyFromText(keyText) : fallbackKey;
  if (secretKey === undefined) return undefined;
  return {
    secretKey,
    allowPrivateTargets: envFlag("WEBHOOK_ALLOW_PRIVATE_TARGETS"),
    worker: envString("WEBHOOK_WORKER") !== "0",
    settings: {
      batchSize: envCount("WEBHOOK_BATCH_SIZE", DEFAULT_WORKER_SETTINGS.batchSize),
      batchWaitMs: envCount("WEBHOOK_BATCH_WAIT_MS", DEFAULT_WORKER_SETTINGS.batchWaitMs),
      retryWindowMs: envCount("WEBHOOK_RETRY_WINDOW_S", DEFAULT_WORKER_SETTINGS.retryWindowMs / 1000) * 1000,
      leaseMs: envCount("WEBHOOK_LEASE_MS", DEFAULT_WORKER_SETTINGS.leaseMs),
    },
    sender: { timeoutMs: envCount("WEBHOOK_TIMEOUT_MS", DEFAULT_SENDER_SETTINGS.timeoutMs) },
  };
}
