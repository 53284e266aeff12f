import type { MessageBus, MessageHandler } from "./message-bus.js";

/** The embedded default: every app in one process, no Redis needed. */
export class InProcessBus implements MessageBus {
  private readonly handlers = new Map<string, Set<MessageHandler>>();

  async publish(channel: string, message: string): Promise<void> {
    const set = this.handlers.get(channel);
    if (!set) return;
    // Deliver on a later tick, as Redis would: a publisher never runs subscriber code inline.
    queueMicrotask(() => {
      for (const handler of set) handler(message);
    });
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    return async () => {
      set.delete(handler);
    };
  }

  /** An in-process bus never disconnects. */
  onResubscribed(): void {}

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
