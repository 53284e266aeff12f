/**
 * Exponential back-off with jitter, as probes (real and simulated) retry their controller and
 * ingest: the ceiling doubles per failure from `baseMs` up to `maxMs`, and each delay is drawn from
 * [50%, 100%] of it, so probes that lost the controller together do not return together.
 */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 30));
  return Math.round(ceiling * (0.5 + Math.random() * 0.5));
}

/** `backoffDelay` that counts the failures itself. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  next(): number {
    return backoffDelay(this.failures++, this.baseMs, this.maxMs);
  }

  reset(): void {
    this.failures = 0;
  }
}
