import { Redis } from "ioredis";
import type { MessageBus, MessageHandler } from "./message-bus.js";

/**
 * Redis pub/sub: any number of ingest and gateway processes share the same channels.
 * A subscribing connection cannot issue other commands, hence two connections. Channel names are
 * prefixed with a namespace, so that deployments (or test runs) sharing one Redis never hear each
 * other: their positions belong to different databases.
 */
export class RedisBus implements MessageBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private readonly resubscribed = new Set<() => void>();
  private connectedBefore = false;

  constructor(
    url: string,
    private readonly namespace = "",
  ) {
    this.publisher = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.subscriber = new Redis(url, { lazyConnect: false });
    this.subscriber.on("message", (key: string, message: string) => {
      const set = this.handlers.get(this.channelOf(key));
      if (set) for (const handler of set) handler(message);
    });
    // ioredis reconnects by itself and re-subscribes; the second "ready" on is a reconnection.
    this.subscriber.on("ready", () => {
      if (this.connectedBefore) for (const listener of this.resubscribed) listener();
      this.connectedBefore = true;
    });
    // Errors are reported by the failing commands, not thrown at the process.
    this.publisher.on("error", () => {});
    this.subscriber.on("error", () => {});
  }

  private keyOf(channel: string): string {
    return this.namespace ? `${this.namespace}/${channel}` : channel;
  }

  private channelOf(key: string): string {
    return this.namespace ? key.slice(this.namespace.length + 1) : key;
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(this.keyOf(channel), message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) {
      this.handlers.set(channel, (set = new Set()));
      await this.subscriber.subscribe(this.keyOf(channel));
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(channel) === set) {
        this.handlers.delete(channel);
        await this.subscriber.unsubscribe(this.keyOf(channel));
      }
    };
  }

  onResubscribed(listener: () => void): void {
    this.resubscribed.add(listener);
  }

  async close(): Promise<void> {
    this.resubscribed.clear();
    this.handlers.clear();
    await Promise.allSettled([this.publisher.quit(), this.subscriber.quit()]);
  }
}
