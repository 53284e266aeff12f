import {
  eventLogPage, newestResultsPerProbe, positionAfter, probeCountries,
  type EventLog, type EventLogFilter, type LeasedWebhook, type Pool, type StreamHistory,
} from "@probestream/db";
import { Rights, StatusCheckState, alertChangeConcerns, parseSubscription, probeSource, type NormalizedSubscription, type WebhookEventKind } from "@probestream/types";
import { compileResultFilter, type ResultPredicate } from "../streaming/result-filter.js";
import type { ResultFilter } from "../streaming/result-index.js";
import { eventOf, seqOf } from "../streaming/alert-routing.js";

/** What feeds read the result log with: StreamHistory's webhook pages (the worker shares identical ones between lanes). */
export type LogPages = Pick<StreamHistory, "logPage">;

/** One event a webhook delivers: its stream position, its JSON as the stream sends it, when it was stored. */
export interface FeedEvent {
  position: string;
  json: string;
  storedAtMs: number;
}

/**
 * A page of a webhook's events after a position: at most the limit asked for, and `scannedTo`, how
 * far storage was looked at (nothing between the start and it but `events` is the webhook's).
 * `more`: storage holds more after `scannedTo` already.
 */
export interface FeedPage {
  events: FeedEvent[];
  scannedTo: string;
  more: boolean;
}

/** What a webhook of one stream type delivers, read from storage in position order. */
export interface Feed {
  readonly kind: WebhookEventKind;
  /** The indexed part of its subscription: results matching it wake the lane (result and alert feeds). */
  readonly filter: ResultFilter | null;
  next(start: string, limit: number): Promise<FeedPage>;
}

/** Rows of the log looked at per read at most (most may be other measurements', or filtered out). */
const SPAN_ROWS = 2000;

/** The one access rule: private data only to their owner's key with results:read_private. */
const readerOf = (webhook: LeasedWebhook): number | null => (webhook.keyRights.includes(Rights.readPrivateResults) ? webhook.userId : null);

/** The committed result log, filtered as the stream filters it. */
class ResultFeed implements Feed {
  readonly kind = "result";
  readonly filter: ResultFilter;
  private readonly predicate: ResultPredicate | null;

  constructor(
    private readonly history: LogPages,
    private readonly sub: NormalizedSubscription,
    private readonly readerId: number | null,
  ) {
    this.filter = { msm: sub.msm, prb: sub.prb, type: sub.type };
    this.predicate = compileResultFilter(sub);
  }

  async next(start: string, limit: number): Promise<FeedPage> {
    // Without filters beyond SQL's every row read is delivered: then no more than a batch is read.
    const scan = this.predicate === null ? limit : SPAN_ROWS;
    const { sub, readerId } = this;
    const { rows, upTo, more } = await this.history.logPage({ msm: sub.msm, prb: sub.prb, type: sub.type, readerId }, start, scan, SPAN_ROWS);
    if (!positionAfter(upTo, start)) return { events: [], scannedTo: start, more: false };
    const events: FeedEvent[] = [];
    let scannedTo = start;
    for (const row of rows) {
      if (this.predicate === null || this.predicate(JSON.parse(row.json) as Record<string, unknown>)) {
        events.push({ position: row.id, json: row.json, storedAtMs: row.storedAtMs });
      }
      scannedTo = row.id;
      if (events.length === limit) break;
    }
    // Nothing more before upTo: a short page covers (and the next one starts after) all of it.
    if (rows.length < scan && events.length < limit) scannedTo = upTo;
    return { events, scannedTo, more: more || rows.length === scan };
  }
}

/**
 * The alert stream's events (`atlas_alert`), computed from the committed result log with the status
 * check's fold, each at the position of the result that changed the state. On a start anywhere but
 * where it stopped folding (a new lease after a restart, a reload) the fold is rebuilt from storage:
 * each probe's newest `lookback` results at or before that position. The fold's state depends only
 * on which results it saw, not their order (the alert stream's property test), so this equals the
 * state an uninterrupted fold had there; no state is persisted beside the position, and nothing
 * about the fold can disagree with storage after a restart.
 */
class AlertFeed implements Feed {
  readonly kind = "alert";
  readonly filter: ResultFilter;
  private state: StatusCheckState | null = null;
  private foldedTo = "";

  constructor(
    private readonly pool: Pool,
    private readonly history: LogPages,
    private readonly sub: NormalizedSubscription,
    private readonly readerId: number | null,
  ) {
    this.filter = { msm: sub.msm };
  }

  private async seed(position: string): Promise<StatusCheckState> {
    const state = new StatusCheckState(this.sub.statusCheck!);
    const rows = await newestResultsPerProbe(this.pool, this.sub.msm!, state.options.lookback, position);
    for (const row of rows) state.setSource(row.prb_id, probeSource(row.country_code));
    state.load(rows.map((row) => ({ seq: row.seq, result: JSON.parse(row.body) as Record<string, unknown> })));
    return state;
  }

  async next(start: string, limit: number): Promise<FeedPage> {
    const msm = this.sub.msm!;
    const { rows, upTo, more } = await this.history.logPage({ msm, readerId: this.readerId }, start, SPAN_ROWS, SPAN_ROWS);
    if (!positionAfter(upTo, start)) return { events: [], scannedTo: start, more: false };
    if (this.state === null || this.foldedTo !== start) {
      this.state = null;
      this.state = await this.seed(start);
      this.foldedTo = start;
    }
    const state = this.state;
    const parsed = rows.map((row) => ({ row, result: JSON.parse(row.json) as Record<string, unknown> }));
    const unknown = [...new Set(parsed.map((p) => Number(p.result.prb_id)).filter((prb) => Number.isInteger(prb) && !state.hasSource(prb)))];
    if (unknown.length > 0) {
      const countries = await probeCountries(this.pool, unknown);
      for (const prb of unknown) state.setSource(prb, probeSource(countries.get(prb)));
    }
    const events: FeedEvent[] = [];
    let scannedTo = start;
    for (const { row, result } of parsed) {
      const change = state.add(result, seqOf(row.id));
      scannedTo = row.id;
      if (change && alertChangeConcerns(change, this.sub.prb)) {
        events.push({ position: row.id, json: JSON.stringify(eventOf(msm, change)), storedAtMs: row.storedAtMs });
        if (events.length === limit) break;
      }
    }
    if (rows.length < SPAN_ROWS && events.length < limit) scannedTo = upTo;
    this.foldedTo = scannedTo;
    return { events, scannedTo, more: more || scannedTo !== upTo };
  }
}

/** Probe status or measurement events, from their logs in the database (event-log.ts). */
class EventLogFeed implements Feed {
  readonly filter = null;

  constructor(
    readonly kind: EventLog,
    private readonly pool: Pool,
    private readonly f: EventLogFilter,
  ) {}

  async next(start: string, limit: number): Promise<FeedPage> {
    const { events, upTo, more } = await eventLogPage(this.pool, this.kind, this.f, start, limit, SPAN_ROWS);
    if (!positionAfter(upTo, start)) return { events: [], scannedTo: start, more: false };
    const full = events.length === limit;
    return { events, scannedTo: full ? events[events.length - 1]!.position : upTo, more: more || full };
  }
}

/** The feed of a stored webhook's subscription (checked when it was stored). */
export function feedOf(webhook: LeasedWebhook, pool: Pool, history: LogPages): Feed {
  const parsed = parseSubscription(webhook.subscription);
  if (!parsed.ok) throw new Error(`stored subscription is invalid: ${parsed.error.message}`);
  const sub = parsed.value;
  const readerId = readerOf(webhook);
  switch (sub.streamType) {
    case "alert": return new AlertFeed(pool, history, sub, readerId);
    case "result": return new ResultFeed(history, sub, readerId);
    case "probestatus": return new EventLogFeed("probestatus", pool, { prb: sub.prb, readerId });
    case "metadata": return new EventLogFeed("metadata", pool, { msm: sub.msm, type: sub.type, readerId });
  }
}
