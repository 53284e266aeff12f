export interface StreamLimits {
  subscriptionsPerSession: number;
  sessionsPerAddress: number;
  /** A client holding more unsent bytes than this is warned (`atlas_error`, code "slow_client")... */
  slowClientWarnBytes: number;
  /** ...and past this, disconnected. */
  slowClientDropBytes: number;
  /** Sessions without any subscription for this long are closed. */
  idleMs: number;
  /**
   * WebSocket and HTTP streams: TCP keepalive probes start after the connection was quiet this
   * long, so that a vanished peer is noticed. TCP, not application messages, so that no bytes
   * reach the client and its read timeout still fires on a quiet stream.
   */
  keepAliveMs: number;
  /** How far back `sendBacklog` reaches. */
  backlogSeconds: number;
  /** Live results a subscription holds while reading history, before it reads them from storage instead. */
  historyQueueLimit: number;
  /**
   * How long a committed result may stay unheard on the bus before it is read from storage
   * (a publish that was lost: ingest stopped between commit and publish, or Redis refused it).
   */
  unpublishedGraceMs: number;
}

export const DEFAULT_LIMITS: StreamLimits = {
  subscriptionsPerSession: 64,
  sessionsPerAddress: 1000,
  slowClientWarnBytes: 1 << 20,
  slowClientDropBytes: 8 << 20,
  idleMs: 120_000,
  keepAliveMs: 30_000,
  backlogSeconds: 300,
  historyQueueLimit: 20_000,
  unpublishedGraceMs: 5000,
};
