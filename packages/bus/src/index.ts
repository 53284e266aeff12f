import type { MessageBus } from "./message-bus.js";
import { InProcessBus } from "./in-process-bus.js";
import { RedisBus } from "./redis-bus.js";

export * from "./message-bus.js";
export * from "./result-batch.js";
export { InProcessBus, RedisBus };

/** Redis when a URL is given, else the in-process bus (one process hosting every app). */
export function createBus(redisUrl?: string): MessageBus {
  return redisUrl ? new RedisBus(redisUrl) : new InProcessBus();
}
