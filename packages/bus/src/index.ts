import type { MessageBus } from "./message-bus.js";
import { InProcessBus } from "./in-process-bus.js";
import { RedisBus } from "./redis-bus.js";

export * from "./message-bus.js";
export * from "./result-batch.js";
export * from "./probe-status.js";
export * from "./measurement-event.js";
export * from "./webhook-changed.js";
export { InProcessBus, RedisBus };

/**
 * Redis when a URL is given, else the in-process bus (one process hosting every app). Apps that
 * share a database must share the namespace: the default derives it from the database URL.
 */
export function createBus(redisUrl: string | undefined, namespace: string): MessageBus {
  return redisUrl ? new RedisBus(redisUrl, namespace) : new InProcessBus();
}

/** The bus namespace of a database: its host, port and name. */
export function busNamespaceOf(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `probestream:${url.hostname}:${url.port || "5432"}${url.pathname}`;
}
