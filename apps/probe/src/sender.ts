import { Backoff } from "@probestream/types";
import type { Logger } from "./log.js";
import type { Spool, SpoolBatch } from "./spool.js";

export interface SenderOptions {
  ingestUrl: string;
  prbId: number;
  secret: string;
  spool: Spool;
  log: Logger;
  /** How long to wait after a new result for more to join its batch (default 250 ms). */
  lingerMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  requestTimeoutMs?: number;
}

type Delivery = "delivered" | "refused" | "retry";

export interface SenderStats {
  /** Results the controller committed (stored or already had). */
  delivered: number;
  /** Results the controller refused for good. */
  refused: number;
  /** Failed attempts that will be retried. */
  failures: number;
}

/**
 * Posts spooled batches to `POST /probe/results`, oldest first. 200 removes a batch; a 4xx refusal
 * is final for its results (logged, removed); network errors and 5xx keep it on disk and retry with
 * back-off, or at once when the controller session comes back.
 */
export class Sender {
  readonly stats: SenderStats = { delivered: 0, refused: 0, failures: 0 };
  private readonly backoff: Backoff;
  private stopped = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  /** What the loop waits for: new results while idle, the controller's return while backing off. */
  private waiting: { reason: "idle" | "backoff"; wake: () => void } | null = null;
  private resultsArrived = false;

  constructor(private readonly opts: SenderOptions) {
    this.backoff = new Backoff(opts.retryBaseMs ?? 1000, opts.retryMaxMs ?? 60_000);
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** New results are in the spool. */
  notify(): void {
    this.resultsArrived = true;
    if (this.waiting?.reason === "idle") this.waiting.wake();
  }

  /** The controller is reachable again: retry at once instead of waiting out the back-off. */
  retryNow(): void {
    this.backoff.reset();
    this.waiting?.wake();
  }

  /** Stops sending; whatever is not acknowledged stays in the spool. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.waiting?.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const batch = this.opts.spool.nextBatch();
      if (!batch) {
        if (!this.resultsArrived) await this.wait("idle", Infinity);
        this.resultsArrived = false;
        // Let results that come together leave together.
        await this.wait("backoff", this.opts.lingerMs ?? 250);
        continue;
      }
      const outcome = await this.deliver(batch);
      if (outcome === "retry") {
        this.opts.spool.release(batch);
        this.stats.failures++;
        await this.wait("backoff", this.backoff.next());
        continue;
      }
      this.opts.spool.remove(batch);
      this.backoff.reset();
    }
  }

  private async deliver(batch: SpoolBatch): Promise<Delivery> {
    if (batch.results.length === 0) return "delivered";
    let response: Response;
    try {
      response = await fetch(`${this.opts.ingestUrl}/probe/results`, {
        method: "POST",
        headers: { authorization: `Probe ${this.opts.prbId}:${this.opts.secret}`, "content-type": "application/json" },
        body: JSON.stringify(batch.results),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.requestTimeoutMs ?? 30_000)]),
      });
    } catch (err) {
      if (!this.stopped) this.opts.log.warn({ err, results: batch.results.length }, "controller unreachable; results stay spooled");
      return "retry";
    }
    const body = (await response.json().catch(() => ({}))) as {
      rejected?: { index: number; field: string; message: string }[];
    };
    if (response.status === 200) {
      this.stats.delivered += batch.results.length;
      return "delivered";
    }
    // A wrong secret or an overloaded controller is a reason to wait, not to give up the results.
    if (response.status >= 500 || response.status === 401 || response.status === 408 || response.status === 429) {
      this.opts.log.warn({ status: response.status }, "controller did not take the batch; retrying later");
      return "retry";
    }
    const rejected = body.rejected ?? [];
    const refused = rejected.length > 0 ? rejected.length : batch.results.length;
    this.stats.refused += refused;
    this.stats.delivered += batch.results.length - refused;
    this.opts.log.error({ status: response.status, rejected: rejected.slice(0, 10) }, "controller refused results; dropped");
    return "refused";
  }

  private wait(reason: "idle" | "backoff", ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => wake(), ms) : undefined;
      const wake = () => {
        clearTimeout(timer);
        this.waiting = null;
        resolve();
      };
      this.waiting = { reason, wake };
    });
  }
}
