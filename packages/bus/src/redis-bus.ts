import { Redis } from "ioredis";
import type { MessageBus, MessageHandler } from "./message-bus.js";

/**
 * Redis pub/sub: any number of ingest and gateway processes share the same channels.
 * A subscribing connection cannot issue other commands, hence two connections.
 */
export class RedisBus implements MessageBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private readonly resubscribed = new Set<() => void>();
  private connectedBefore = false;

  constructor(url: string) {
    this.publisher = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.subscriber = new Redis(url, { lazyConnect: false });
    this.subscriber.on("message", (channel: string, message: string) => {
      const set = this.handlers.get(channel);
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

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) {
      this.handlers.set(channel, (set = new Set()));
      await this.subscriber.subscribe(channel);
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(channel) === set) {
        this.handlers.delete(channel);
        await this.subscriber.unsubscribe(channel);
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
