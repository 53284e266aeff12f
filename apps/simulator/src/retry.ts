/** Simulated probes retry (`backoffDelay`) from 250 ms, doubling up to 10 s. */
export const RETRY_BASE_MS = 250;
export const RETRY_MAX_MS = 10_000;

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
