import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { positionAfter, type HistoryFilter, type LeasedWebhook, type Pool, type StreamHistory, type WebhookStore } from "@probestream/db";
import { Channels, decodeResultBatch, decodeWebhookChanged, type MessageBus } from "@probestream/bus";
import { Backoff, type WebhookEventKind } from "@probestream/types";
import { ResultIndex, type ResultFilter } from "../streaming/result-index.js";
import { newBatch, type Batch, type WebhookPoster } from "./delivery.js";
import { feedOf, type Feed, type FeedEvent, type FeedPage, type LogPages } from "./feeds.js";

export interface WorkerSettings {
  /** Results per POST at most (N). */
  batchSize: number;
  /** A batch smaller than `batchSize` waits this long after its first result was stored for more (T). */
  batchWaitMs: number;
  /** How long a batch is retried before the webhook is marked failing. */
  retryWindowMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** A lease's length; renewed every third of it. */
  leaseMs: number;
  /** Webhooks one worker delivers at most; below that it takes its fair share, the active webhooks over the live workers. */
  maxWebhooks: number;
  /** How often an idle webhook looks at the log without a bus wake-up (a missed message, no relay). */
  idlePollMs: number;
}

export const DEFAULT_WORKER_SETTINGS: WorkerSettings = {
  batchSize: 500,
  batchWaitMs: 100,
  retryWindowMs: 24 * 3600_000,
  retryBaseMs: 1000,
  retryMaxMs: 300_000,
  leaseMs: 30_000,
  maxWebhooks: 1000,
  idlePollMs: 2000,
};

type LogPage = Awaited<ReturnType<StreamHistory["logPage"]>>;

/**
 * The result log's webhook pages, an identical read (same filter, position, limit and span) in
 * flight shared by every lane that asks for it while no commit was announced since it was asked:
 * its answer is then one the lane could have had by asking itself (a commit announced later wakes
 * the lane again, as after its own read). Webhooks of one measurement move together (created at the
 * same position, woken by the same commits, waiting the same batch time), and each read is the
 * horizon and a span of the log: a hundred such lanes woken at once asked a hundred identical
 * reads of a ten-connection pool, and a healthy webhook's next read waited 2.3 s behind them
 * (bench:webhooks, 100 hostile receivers: pool waiting 91-176).
 */
export class SharedLogPages {
  private readonly inFlight = new Map<string, { announced: number; page: Promise<LogPage> }>();

  constructor(
    private readonly history: LogPages,
    /** How many commit announcements the worker has heard: a read asked before the last one is not shared. */
    private readonly announced: () => number,
  ) {}

  /** `budget`: the read waits for its turn there (a struggling lane's; shared only with reads of that budget). */
  logPage(f: HistoryFilter, position: string, limit: number, span: number, budget: Budget | null = null): Promise<LogPage> {
    const key = JSON.stringify([f.msm ?? null, f.prb ?? null, f.type ?? null, f.readerId, f.everything ?? false, position, limit, span, budget !== null]);
    const announced = this.announced();
    const shared = this.inFlight.get(key);
    if (shared && shared.announced === announced) return shared.page;
    const read = () => this.history.logPage(f, position, limit, span);
    const entry = { announced, page: budget ? budget.run(read) : read() };
    this.inFlight.set(key, entry);
    const forget = () => {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
    };
    entry.page.then(forget, forget);
    return entry.page;
  }

  /** Reads in flight (tests). */
  get size(): number {
    return this.inFlight.size;
  }
}

/**
 * At most `size` of the tasks given at once, the others started in turn as those end (in the order
 * given): the database work of struggling receivers' lanes, so that it never holds more than that
 * many of the pool's connections, whatever their number.
 */
export class Budget {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Tasks waiting for their turn (tests). */
  get waiting(): number {
    return this.queue.length;
  }
}

/** Connections of the worker's pool that struggling receivers' lanes use at most (their reads, positions, attempt records, failures). */
const STRUGGLING_DB_BUDGET = 2;

/** A POST this long (or a failed one) makes its lane a struggling one, until one acknowledged sooner. */
const SLOW_POST_MS = 1000;

/**
 * Delivers webhooks from the committed result log. Each webhook this worker holds the lease of has
 * its own lane: one batch in flight at a time, acknowledged (its position saved) only after a 2xx,
 * so results arrive at least once and in log order, and a slow or dead receiver holds up only its
 * own lane. Any number of workers share the webhooks through their leases (WebhookStore); a bus
 * message on the results channel wakes the lanes, but what they send always comes from the log.
 */
export class WebhookWorker {
  readonly owner = `worker-${randomUUID()}`;
  private readonly lanes = new Map<number, Lane>();
  /** The lanes reading the result log, by the indexed part of their subscriptions, for wake-ups. */
  private readonly index = new ResultIndex<Lane>();
  /** The lanes of probe status and measurement events: any such event wakes them. */
  private readonly eventLanes = { probestatus: new Set<Lane>(), metadata: new Set<Lane>() };
  private readonly unsubscribes: (() => Promise<void>)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private tickQueued = false;
  private stopped = false;
  /** Commit announcements heard (results channel, or the bus back after an outage): reads asked before the last one are not shared. */
  private announced = 0;
  /** The feeds' log pages: identical reads at once share one query. */
  readonly pages: SharedLogPages;
  /**
   * The database work of struggling lanes (whose last POST failed or took SLOW_POST_MS or more)
   * goes through this, not straight to the pool: fifty refusing receivers' attempt records and
   * failures, all at once after a commit, then fifty 5 s receivers' positions, records and next
   * pages, queued a healthy webhook's reads and positions behind up to 84 others (bench:webhooks).
   */
  readonly struggling = new Budget(STRUGGLING_DB_BUDGET);

  constructor(
    readonly store: WebhookStore,
    private readonly pool: Pool,
    readonly history: StreamHistory,
    readonly poster: WebhookPoster,
    private readonly bus: MessageBus,
    readonly log: FastifyBaseLogger,
    readonly settings: WorkerSettings,
  ) {
    this.pages = new SharedLogPages(history, () => this.announced);
  }

  async start(): Promise<void> {
    this.unsubscribes.push(
      await this.bus.subscribe(Channels.results, (message) => this.wakeFor(message)),
      await this.bus.subscribe(Channels.probeStatus, () => this.wakeAll(this.eventLanes.probestatus)),
      await this.bus.subscribe(Channels.metadata, () => this.wakeAll(this.eventLanes.metadata)),
      await this.bus.subscribe(Channels.webhooks, (message) => this.webhookChanged(message)),
    );
    // Messages missed while the bus was away: every lane looks at storage.
    this.bus.onResubscribed(() => {
      this.announced++;
      for (const lane of this.lanes.values()) lane.wake();
    });
    this.tickSoon();
    this.timer = setInterval(() => this.tickSoon(), Math.max(200, Math.floor(this.settings.leaseMs / 3)));
  }

  /**
   * Wakes the lanes whose msm/prb/type a newly committed result matches (the stream's index), so
   * that webhooks of other measurements do not read the log for nothing; the rest of their filters
   * are applied to what they read. A lane not woken still looks every `idlePollMs`.
   */
  private wakeFor(message: string): void {
    this.announced++;
    if (this.index.size === 0) return;
    // The bus carries each result's msm_id, prb_id and type: nothing to parse.
    for (const r of decodeResultBatch(message).results) this.index.forEachMatch(r, (lane) => lane.wake());
  }

  /** A webhook was created or changed somewhere: look for webhooks to take now, not at the next renewal. */
  private webhookChanged(message: string): void {
    try {
      decodeWebhookChanged(message);
    } catch (err) {
      this.log.warn({ err }, "a message on the webhooks channel that names no webhook: ignored");
      return;
    }
    this.tickSoon();
  }

  private wakeAll(lanes: Set<Lane>): void {
    for (const lane of lanes) lane.wake();
  }

  /** The lane's feed: its log reads shared with other lanes', through the budget while the lane struggles. */
  feedOf(webhook: LeasedWebhook, lane: Lane): Feed {
    const pages: LogPages = {
      logPage: (f, position, limit, span) => this.pages.logPage(f, position, limit, span, lane.struggling ? this.struggling : null),
    };
    return feedOf(webhook, this.pool, pages);
  }

  /** Where the lane's wake-ups come from, by what it reads. */
  watch(lane: Lane): void {
    if (lane.kind === "probestatus" || lane.kind === "metadata") this.eventLanes[lane.kind].add(lane);
    else this.index.add(lane);
  }

  unwatch(lane: Lane): void {
    if (lane.kind === "probestatus" || lane.kind === "metadata") this.eventLanes[lane.kind].delete(lane);
    else this.index.remove(lane);
  }

  /**
   * Takes new webhooks at once (one just created or resumed), instead of at the next renewal. Calls
   * while a round is waiting to start join it: a hundred webhooks created at once (a hundred
   * announcements) cost one or two rounds, not a hundred renewals of every lease held.
   */
  tickSoon(): void {
    if (this.tickQueued) return;
    this.tickQueued = true;
    this.ticking = this.ticking
      .then(() => {
        this.tickQueued = false;
        return this.tick();
      })
      .catch((err: unknown) => this.log.error({ err }, "webhook leases could not be renewed"));
  }

  /**
   * Renews the leases held (dropping lanes that lost theirs, reloading changed ones), gives back
   * what exceeds its fair share, then claims free webhooks up to it.
   */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    const { workers, webhooks } = await this.store.heartbeat(this.owner, this.settings.leaseMs);
    const share = Math.min(this.settings.maxWebhooks, Math.ceil(webhooks / workers));
    if (this.lanes.size > 0) {
      // Counted from before the query: the database's expiry is at least this late.
      const asked = performance.now();
      const held = await this.store.renew(this.owner, [...this.lanes.keys()], this.settings.leaseMs);
      for (const [id, lane] of this.lanes) {
        const version = held.get(id);
        if (version === undefined) lane.stop();
        else {
          lane.leaseUntil = asked + this.settings.leaseMs;
          if (version !== lane.webhook.version) lane.reloadWanted = true;
        }
      }
    }
    // A worker started later takes its part as the others give theirs back (their lanes leave after the batch in flight).
    const staying = [...this.lanes.values()].filter((lane) => lane.running);
    for (const lane of staying.slice(share)) lane.leave();
    // Lanes still finishing (a deleted or paused webhook's, one given back) do not count: a webhook
    // created meanwhile is taken now, not at the next renewal.
    const room = share - Math.min(staying.length, share);
    if (room <= 0 || this.stopped) return;
    const asked = performance.now();
    for (const webhook of await this.store.claim(this.owner, this.settings.leaseMs, room)) {
      if (this.stopped) break;
      const lane = new Lane(this, webhook, asked + this.settings.leaseMs);
      this.lanes.set(webhook.id, lane);
      this.poster.metrics.leased.set(this.lanes.size);
      void lane.run().finally(async () => {
        if (this.lanes.get(webhook.id) === lane) this.lanes.delete(webhook.id);
        this.poster.metrics.leased.set(this.lanes.size);
        // The lane POSTs no more: another worker may take the webhook at once (nothing happens if the lease is gone).
        if (!this.stopped) await this.store.release(this.owner, [webhook.id]).catch((err: unknown) => this.log.error({ err }, "webhook lease could not be released"));
      });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    await Promise.all(this.unsubscribes.map((unsubscribe) => unsubscribe().catch(() => undefined)));
    const lanes = [...this.lanes.values()];
    for (const lane of lanes) lane.stop();
    await Promise.all(lanes.map((lane) => lane.finished));
    await this.store.release(this.owner, lanes.map((l) => l.webhook.id)).catch(() => undefined);
    await this.store.leave(this.owner).catch(() => undefined);
  }
}

class Lane {
  reloadWanted = false;
  /** Its last POST failed or was slow: its database work waits for the worker's small budget. */
  struggling = false;
  finished: Promise<void> = Promise.resolve();
  private stopped = false;
  private feed: Feed;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  /** Events read but not yet sent (a batch filling up for up to `batchWaitMs`), and how far they were read. */
  private pending: { events: FeedEvent[]; scannedTo: string } | null = null;
  private readAhead: { start: string; feed: Feed; page: Promise<FeedPage> } | null = null;
  /** Its place in the worker's index (kept as added, so that it is removed from the same bucket). */
  filter: ResultFilter;

  constructor(
    private readonly worker: WebhookWorker,
    public webhook: LeasedWebhook,
    /** When the lease surely still holds (`performance.now()` time): renewals move it on. */
    public leaseUntil: number,
  ) {
    this.feed = worker.feedOf(webhook, this);
    this.filter = this.feed.filter ?? {};
    this.backoff = new Backoff(worker.settings.retryBaseMs, worker.settings.retryMaxMs);
  }

  get kind(): WebhookEventKind {
    return this.feed.kind;
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.wakeUp?.();
  }

  /** Stops after the POST in flight, keeping its answer (so that the next worker does not send that batch again). */
  leave(): void {
    this.stopped = true;
    this.wakeUp?.();
  }

  /** Not stopping (its lease held until it has stopped, then released). */
  get running(): boolean {
    return !this.stopped;
  }

  run(): Promise<void> {
    this.finished = this.loop();
    return this.finished;
  }

  private async loop(): Promise<void> {
    this.worker.watch(this);
    try {
      while (!this.stopped) {
        try {
          await this.step();
        } catch (err) {
          this.worker.log.error({ err, webhook: this.webhook.id }, "webhook delivery failed; retrying");
          this.pending = null;
          await this.sleep(1000, false);
        }
      }
    } finally {
      this.worker.unwatch(this);
    }
  }

  /** Waits `ms`, or less when stopped (or, with `wakeable`, when new results are committed). */
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopped || (wakeable && this.woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        if (this.stopped || wakeable) {
          this.wakeUp = null;
          done();
        }
      };
    });
  }

  private async step(): Promise<void> {
    const { store, settings, owner } = this.worker;
    if (this.reloadWanted) {
      this.reloadWanted = false;
      const fresh = await store.reload(owner, this.webhook.id);
      if (!fresh) return this.stop();
      this.worker.unwatch(this);
      this.webhook = fresh;
      this.feed = this.worker.feedOf(fresh, this);
      this.filter = this.feed.filter ?? {};
      this.pending = null;
      this.worker.watch(this);
    }
    const pending = (this.pending ??= { events: [], scannedTo: this.webhook.position });
    const start = pending.scannedTo;
    const page = await this.read(start, settings.batchSize - pending.events.length);
    if (positionAfter(page.scannedTo, start)) {
      pending.events.push(...page.events);
      pending.scannedTo = page.scannedTo;
    }
    if (pending.events.length === 0) {
      this.pending = null;
      if (positionAfter(pending.scannedTo, this.webhook.position)) {
        if (!(await this.budgeted(() => store.advance(owner, this.webhook.id, pending.scannedTo, false)))) return this.stop();
        this.webhook.position = pending.scannedTo;
      }
      return page.more ? undefined : this.sleep(settings.idlePollMs, true);
    }
    const firstStoredAt = pending.events[0]!.storedAtMs;
    const waited = Date.now() - firstStoredAt;
    if (pending.events.length < settings.batchSize && !page.more && waited < settings.batchWaitMs) {
      return this.sleep(settings.batchWaitMs - waited, false);
    }
    this.pending = null;
    // The next page is read while this batch is POSTed: a busy webhook waits on one round trip less per batch.
    this.readAhead = { start: pending.scannedTo, feed: this.feed, page: this.readPage(pending.scannedTo, settings.batchSize) };
    this.readAhead.page.catch(() => undefined);
    const batch = newBatch(this.webhook.id, this.feed.kind, pending.events);
    await this.deliver(batch, pending.scannedTo, firstStoredAt);
  }

  /** A page of the feed after `start`; new commits announced from now on wake the lane again. */
  private readPage(start: string, limit: number): Promise<FeedPage> {
    this.woken = false;
    return this.feed.next(start, limit);
  }

  /** The page read ahead, when it starts where the lane is now from the same feed; else a fresh read. */
  private async read(start: string, limit: number): Promise<FeedPage> {
    const ahead = this.readAhead;
    this.readAhead = null;
    if (ahead && ahead.start === start && ahead.feed === this.feed) return ahead.page;
    // A feed reads one page at a time (an alert feed folds as it reads).
    await ahead?.page.catch(() => undefined);
    return this.readPage(start, limit);
  }

  /** Database work: through the worker's budget while the lane struggles, else at once. */
  private budgeted<T>(work: () => Promise<T>): Promise<T> {
    return this.struggling ? this.worker.struggling.run(work) : work();
  }

  /** Attempts one batch until it is acknowledged, the retry window runs out, or the lane stops. */
  private async deliver(batch: Batch, ackPosition: string, firstStoredAt: number): Promise<void> {
    const { store, poster, settings, owner, log } = this.worker;
    poster.metrics.commitToPostSeconds.observe(Math.max(0, Date.now() - firstStoredAt) / 1000);
    for (let attempt = 1; !this.stopped; attempt++) {
      // A POST must end before the lease can: past its expiry another worker may take the webhook and POST too.
      if (this.leaseUntil - performance.now() < poster.sender.timeoutMs) {
        log.warn({ webhook: this.webhook.id }, "webhook lease not renewed in time: this worker stops delivering it");
        return this.stop();
      }
      const { outcome, recorded } = await poster.attempt(this.webhook, batch, attempt, this.abort.signal, (write, o) => {
        this.struggling = !o.ok || o.latencyMs >= SLOW_POST_MS;
        return this.budgeted(write);
      });
      if (this.abort.signal.aborted) return void (await recorded);
      if (outcome.ok) {
        this.backoff.reset();
        const [advanced] = await Promise.all([this.budgeted(() => store.advance(owner, this.webhook.id, ackPosition, true)), recorded]);
        if (!advanced) return this.stop();
        this.webhook.position = ackPosition;
        poster.metrics.results.inc(batch.positions.length);
        return;
      }
      const [since] = await Promise.all([this.budgeted(() => store.noteFailure(owner, this.webhook.id, outcome.error ?? "failed")), recorded]);
      if (since === null) return this.stop();
      const left = since + settings.retryWindowMs - Date.now();
      if (left <= 0) {
        log.warn({ webhook: this.webhook.id, error: outcome.error }, "webhook failing: its retry window ran out");
        await store.markFailing(owner, this.webhook.id, outcome.error ?? "failed");
        return this.stop();
      }
      const delay = outcome.retryAfterMs ?? this.backoff.next();
      await this.sleep(Math.min(delay, left), false);
    }
  }
}
