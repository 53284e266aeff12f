/**
 * The live fan-out between the write path (ingest) and the read path (gateway).
 * One interface, two back ends — like socket.io's adapters: Redis pub/sub when
 * apps run as separate processes, an in-process bus when they share one.
 */
export type MessageHandler = (message: string) => void;

export interface MessageBus {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; returns the function that ends it. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  /**
   * Called after the bus lost its connection and subscribed again: messages published meanwhile
   * were missed, and a subscriber that must not miss any fills the gap from storage.
   */
  onResubscribed(listener: () => void): void;
  close(): Promise<void>;
}

export const Channels = {
  /** Batches of committed results, in the format of `encodeResultBatch`. */
  results: "results",
  /** One probe connection-status event per message, in the format of `encodeProbeStatus`. */
  probeStatus: "probestatus",
  /** One measurement event (created, changed, stopped) per message, in the format of `encodeMeasurementEvent`. */
  metadata: "metadata",
  /** A webhook was created or changed (its id): delivery workers, wherever they run, look for webhooks to take at once. */
  webhooks: "webhooks",
} as const;
