/** Exponential back-off with jitter: 250 ms, 500 ms, 1 s, ... up to `maxMs`. */
export function backoffDelay(attempt: number, maxMs = 10_000): number {
  const ceiling = Math.min(maxMs, 250 * 2 ** Math.min(attempt, 16));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Waits `ms`, or less if `signal` aborts first (then it resolves; callers check the signal). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
