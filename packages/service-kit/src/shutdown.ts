import closeWithGrace from "close-with-grace";

/** One thing a service stops on its way out (a server, a bus, a pool, a child process). */
export interface ShutdownStep {
  name: string;
  stop: () => Promise<unknown>;
}

/**
 * The way out of one service process: its server first (it takes no new requests and lets those in
 * flight finish, which may still publish and query), then its bus, then its database pool.
 */
export function serviceShutdown(server: { close(): PromiseLike<unknown> }, bus: { close(): Promise<unknown> }, pool: { end(): Promise<unknown> }): ShutdownStep[] {
  return [
    { name: "server", stop: async () => await server.close() },
    { name: "bus", stop: () => bus.close() },
    { name: "database pool", stop: () => pool.end() },
  ];
}

interface ShutdownLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A step slower than this is named in the log. */
const SLOW_STEP_MS = 1000;

/**
 * Stops a service on SIGINT or SIGTERM, or after an uncaught error, through close-with-grace:
 * `steps()` (asked when the service stops, so that steps added after start count) run one after
 * another, each failure logged and passed over; past `graceMs` the process exits anyway. Returns
 * the same stop for a service that gives up by itself (a failed start); the steps run once.
 */
export function closeOnSignals(log: ShutdownLog, steps: () => ShutdownStep[], graceMs = 10_000): () => Promise<void> {
  let stopped: Promise<void> | null = null;
  const stopAll = () => (stopped ??= (async () => {
    for (const { name, stop } of steps()) {
      const started = Date.now();
      await stop().catch((err: unknown) => log.error({ err, step: name }, "shutdown step failed"));
      const ms = Date.now() - started;
      if (ms > SLOW_STEP_MS) log.warn({ step: name, ms }, "a shutdown step was slow");
    }
  })());
  closeWithGrace({ delay: graceMs }, async ({ signal, err }) => {
    if (err) log.error({ err }, "stopping after an error");
    else log.info({ signal }, "stopping");
    await stopAll();
  });
  return stopAll;
}
