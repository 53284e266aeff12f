import type { TestProbe } from "../probe-client.js";
import { pingResult } from "../results.js";
import { sleep } from "./net.js";

/** A result's identity for counting: the probe and the second it measured. */
export const resultKey = (r: { prb_id?: unknown; timestamp?: unknown }) => `${String(r.prb_id)}:${String(r.timestamp)}`;

export interface SenderOptions {
  /** Ingest base URLs; the sender moves to the next one when a request fails without an answer. */
  ingestUrls: () => string[];
  probe: TestProbe;
  msmId: number;
  /** Results per POST. */
  batchSize?: number;
  /** Pause between POSTs. */
  intervalMs?: number;
  /** A POST still unanswered after this is abandoned (and its results re-posted). */
  requestTimeoutMs?: number;
  /** First timestamp; each result is one second after the previous one. */
  firstTimestamp?: number;
  /** Fields over those of the ping results sent (e.g. a long `result` list for large results). */
  extra?: Record<string, unknown>;
}

export interface PostRecord {
  at: number;
  ms: number;
  url: string;
  /** HTTP status, or 0 when no answer came (connection refused or reset, timeout). */
  status: number;
  retryAfter?: string | null;
  error?: string;
}

/**
 * A well-behaved probe posting a steady flow of results through the ingest API, as the probe agent
 * does: a batch is acknowledged by a 200; anything else (503, a dropped connection, a timeout) puts
 * the same results back to be posted again, to the next ingest in the list.
 */
export class ResultSender {
  readonly acknowledged = new Set<string>();
  /** When each result was first posted (ms since the epoch). */
  readonly firstPostedAt = new Map<string, number>();
  readonly posts: PostRecord[] = [];
  private pending: Record<string, unknown>[] = [];
  private nextTimestamp: number;
  private stopping = false;
  private generating = true;
  private loop: Promise<void> | undefined;
  private target = 0;

  constructor(private readonly opts: SenderOptions) {
    this.nextTimestamp = opts.firstTimestamp ?? Math.floor(Date.now() / 1000) - 86_400;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops making new results; resolves once everything made so far is acknowledged (or `timeoutMs` passed). */
  async drain(timeoutMs = 60_000): Promise<void> {
    this.generating = false;
    const deadline = Date.now() + timeoutMs;
    while (this.pending.length > 0 && Date.now() < deadline) await sleep(100);
    this.stopping = true;
    await this.loop;
  }

  /** Stops at once, leaving what is unacknowledged unsent. */
  async stop(): Promise<void> {
    this.generating = false;
    this.stopping = true;
    await this.loop;
  }

  get unacknowledged(): number {
    return this.pending.length;
  }

  /** Longest time a POST took to get an answer (or to fail). */
  maxLatencyMs(since = 0): number {
    return Math.max(0, ...this.posts.filter((p) => p.at >= since).map((p) => p.ms));
  }

  statusCounts(since = 0): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const p of this.posts.filter((p) => p.at >= since)) counts[p.status] = (counts[p.status] ?? 0) + 1;
    return counts;
  }

  private async run(): Promise<void> {
    const batchSize = this.opts.batchSize ?? 20;
    while (!this.stopping) {
      if (this.generating && this.pending.length < batchSize) {
        while (this.pending.length < batchSize) {
          this.pending.push(pingResult(this.opts.probe.prbId, this.opts.msmId, this.nextTimestamp++, this.opts.extra));
        }
      }
      if (this.pending.length === 0) {
        await sleep(20);
        continue;
      }
      const batch = this.pending.slice(0, batchSize);
      const ok = await this.post(batch);
      if (ok) {
        for (const r of batch) this.acknowledged.add(resultKey(r));
        this.pending.splice(0, batch.length);
      }
      await sleep(ok ? (this.opts.intervalMs ?? 50) : 200);
    }
  }

  private async post(batch: Record<string, unknown>[]): Promise<boolean> {
    const urls = this.opts.ingestUrls();
    const url = urls[this.target % urls.length]!;
    const at = Date.now();
    for (const r of batch) if (!this.firstPostedAt.has(resultKey(r))) this.firstPostedAt.set(resultKey(r), at);
    try {
      const res = await fetch(`${url}/probe/results`, {
        method: "POST",
        headers: { authorization: this.opts.probe.authorization, "content-type": "application/json" },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 30_000),
      });
      await res.arrayBuffer();
      this.posts.push({ at, ms: Date.now() - at, url, status: res.status, retryAfter: res.headers.get("retry-after") });
      return res.status === 200;
    } catch (err) {
      this.posts.push({ at, ms: Date.now() - at, url, status: 0, error: err instanceof Error ? err.message : String(err) });
      this.target++;
      return false;
    }
  }
}
