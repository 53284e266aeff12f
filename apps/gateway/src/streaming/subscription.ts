import { StreamEvents, type NormalizedSubscription } from "@probestream/types";
import { Frame } from "./frame.js";
import type { ResultPredicate } from "./result-filter.js";
import type { ResultFilter } from "./result-index.js";
import type { StreamSession } from "./session.js";
import { positionAfter, type StreamEntry } from "./stream-entry.js";

/** `buffering`: results go out in arrays of at most this many, at most this long after the first. */
const BUFFER_ITEMS = 100;
const BUFFER_MS = 100;

/**
 * One subscription of one session. It is either live (the hub hands it each matching result as
 * committed) or reading history (replay, resume, backlog): then live results wait in its queue,
 * and the switch to live delivers the queued results that history did not already cover, in one
 * synchronous step — no gap, no duplicate.
 */
export class Subscription {
  mode: "live" | "history" = "live";
  /**
   * Live results at or before this position were already delivered from storage: a bus message
   * arriving late (or a gap fill) must not send them again.
   */
  deliveredUpTo = "0";
  private queue: StreamEntry[] = [];
  private overflowed = false;
  /** The JSON of the results waiting to go out as one array. */
  private pending: string[] = [];
  private pendingPosition = "";
  private flushTimer: NodeJS.Timeout | undefined;
  /** Results delivered so far (for replay and backlog counts). */
  delivered = 0;
  ended = false;

  constructor(
    readonly session: StreamSession,
    readonly key: string,
    readonly params: NormalizedSubscription,
    readonly predicate: ResultPredicate | null,
    /** Live results held while reading history; past this, they are dropped and read from storage instead. */
    private readonly queueLimit: number,
  ) {}

  get filter(): ResultFilter {
    return { msm: this.params.msm, prb: this.params.prb, type: this.params.type };
  }

  /**
   * Whether the result passes the filters the index does not cover. Its timestamp is known without
   * parsing it; `object` parses it, called only for a filter that reads its fields (parsing every
   * result for the end time took a fifth of a replay's CPU).
   */
  accepts(timestamp: number, object: () => Record<string, unknown>): boolean {
    if (this.params.endTime !== undefined && timestamp > this.params.endTime) return false;
    return this.predicate === null || this.predicate(object());
  }

  /** Whether its results go out with their stream positions. */
  get positions(): boolean {
    return this.params.sendPositions === true;
  }

  /** While reading history: hold a live result for the hand-over. */
  hold(entry: StreamEntry): void {
    if (this.overflowed) return;
    if (this.queue.length >= this.queueLimit) {
      this.queue = [];
      this.overflowed = true;
      return;
    }
    this.queue.push(entry);
  }

  /** True when live results were dropped while reading history, which must then be read again. */
  takeOverflow(): boolean {
    if (!this.overflowed) return false;
    this.overflowed = false;
    this.queue = [];
    return true;
  }

  /** Goes live: delivers the held results after `lastId`, synchronously, then takes results as they come. */
  goLive(lastId: string): void {
    const held = this.queue;
    this.queue = [];
    for (const entry of held) if (positionAfter(entry.id, lastId)) this.send(Frame.ofJson(StreamEvents.result, entry.json, { position: entry.id }), entry.id);
    this.deliveredUpTo = held.length > 0 && positionAfter(held[held.length - 1]!.id, lastId) ? held[held.length - 1]!.id : lastId;
    this.mode = "live";
  }

  /** Sends one result frame, or adds it to the pending array when the client asked for buffering. */
  send(frame: Frame, position: string): void {
    if (this.ended) return;
    this.delivered++;
    if (!this.params.buffering) {
      this.session.send(frame, this.positions);
      return;
    }
    this.pending.push(frame.payloadText());
    this.pendingPosition = position;
    if (this.pending.length >= BUFFER_ITEMS) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), BUFFER_MS);
  }

  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.session.send(Frame.ofJson(StreamEvents.result, `[${batch.join(",")}]`, { position: this.pendingPosition }), this.positions);
  }

  end(): void {
    this.flush();
    this.ended = true;
    this.queue = [];
  }
}
