/**
 * Exponential back-off with jitter: the delay doubles per failure up to `maxMs`, and each delay is
 * drawn from [50%, 100%] of that, so probes that lost the controller together do not return together.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 30);
    return Math.round(ceiling * (0.5 + Math.random() * 0.5));
  }

  reset(): void {
    this.failures = 0;
  }
}
