import { backoffDelay, type AtlasResult } from "@probestream/types";
import { RETRY_BASE_MS, RETRY_MAX_MS, sleep } from "./retry.js";
import { generateResult, type Measurement } from "./generators/index.js";
import { ControllerPlan } from "./controller-plan.js";
import type { IngestClient } from "./ingest-client.js";
import type { ProbeProfile } from "./probes.js";
import { Random } from "./random.js";

/** Totals over the whole fleet; every probe adds to the same object. */
export interface FleetCounters {
  /** Results the ingest API answered for (stored, duplicate or rejected). */
  sent: number;
  stored: number;
  duplicates: number;
  rejected: number;
  /** Uploads that failed (network, 401, 5xx, ...); the batch is re-sent unless it cannot succeed. */
  errors: number;
  /** Uploads ingest refused as overloaded (503, 429: nothing stored); the batch is re-sent. */
  overloaded: number;
  /** Results given up on: refused batches, the oldest of a backlog too long, unsent at stop. */
  dropped: number;
  /** Results of measurements the controller assigned (the others come from the fleet's own list at its rate). */
  assigned: number;
}

export interface SimulatedProbeOptions {
  profile: ProbeProfile;
  secret: string;
  measurements: readonly Measurement[];
  /** Measurement ids the fleet runs at its own rate: the controller's assignments of these are not run again. */
  fleetMeasurements: ReadonlySet<number>;
  /** Results per second for each of its measurements. */
  resultsPerSecond: number;
  client: IngestClient;
  counters: FleetCounters;
  /** Registers the probe again, returning its new secret. */
  reregister: () => Promise<string>;
  warn: (key: string, message: string) => void;
}

/** Larger batches than this are split; the ingest API accepts far more, but latency suffers. */
const MAX_BATCH = 1000;
/** A probe cut off from ingest keeps this many seconds of results, then drops the oldest. */
const BACKLOG_SECONDS = 60;

interface Assignment {
  measurement: Measurement;
  /** Results owed so far: one is made each time this reaches 1. */
  credit: number;
}

/**
 * One probe: runs its measurements at its share of the fleet's rate, and what its controller
 * assigns on that measurement's schedule, and uploads what they produce in one batch every tick,
 * re-sending with back-off when the upload fails.
 */
export class SimulatedProbe {
  secret: string;
  private readonly random: Random;
  private readonly assignments: Assignment[];
  private readonly maxBacklog: number;
  private pending: AtlasResult[] = [];
  private delivering: Promise<void> | null = null;
  private batchLimit = MAX_BATCH;
  private lastTick = performance.now();
  private timers: NodeJS.Timeout[] = [];
  private readonly cancel = new AbortController();
  private readonly plan: ControllerPlan;

  constructor(private readonly opts: SimulatedProbeOptions) {
    this.secret = opts.secret;
    this.random = new Random();
    // Random starting credit staggers the measurements instead of firing them all together.
    this.assignments = opts.measurements.map((measurement) => ({ measurement, credit: this.random.next() }));
    this.plan = new ControllerPlan(opts.profile.prbId, opts.fleetMeasurements);
    this.maxBacklog = Math.max(1000, Math.ceil(opts.resultsPerSecond * opts.measurements.length * BACKLOG_SECONDS));
  }

  get prbId(): number {
    return this.opts.profile.prbId;
  }

  get profile(): ProbeProfile {
    return this.opts.profile;
  }

  /** Takes the controller's current list of this probe's measurements (the `assignments` event). */
  assign(list: unknown): void {
    this.plan.update(list);
  }

  /** Starts ticking every `batchMs`, at a random phase so probes do not upload in lockstep. */
  start(batchMs: number): void {
    this.lastTick = performance.now();
    const first = setTimeout(() => {
      this.tick();
      this.timers.push(setInterval(() => this.tick(), batchMs));
    }, this.random.next() * batchMs);
    this.timers.push(first);
  }

  /** Stops measuring and sends what is pending; `abandon()` ends the sending early. */
  async drain(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    this.startDelivering();
    await this.delivering;
  }

  abandon(): void {
    this.cancel.abort();
  }

  /** Results still unsent; after `abandon()` and `drain()` these are lost. */
  get backlog(): number {
    return this.pending.length;
  }

  private tick(): void {
    const now = performance.now();
    const elapsedSeconds = (now - this.lastTick) / 1000;
    this.lastTick = now;
    const timestamp = Math.floor(Date.now() / 1000);
    for (const assignment of this.assignments) {
      assignment.credit += this.opts.resultsPerSecond * elapsedSeconds;
      while (assignment.credit >= 1) {
        assignment.credit -= 1;
        this.pending.push(
          generateResult({ probe: this.opts.profile, measurement: assignment.measurement, timestamp, random: this.random }),
        );
      }
    }
    for (const run of this.plan.due()) {
      this.pending.push(generateResult({ probe: this.opts.profile, measurement: run.measurement, timestamp: run.timestamp, random: this.random }));
      this.opts.counters.assigned++;
    }
    const excess = this.pending.length - this.maxBacklog;
    if (excess > 0) {
      this.pending.splice(0, excess);
      this.opts.counters.dropped += excess;
      this.opts.warn("backlog", `probe ${this.prbId}: backlog over ${this.maxBacklog} results, dropping the oldest`);
    }
    this.startDelivering();
  }

  private startDelivering(): void {
    if (this.delivering || this.pending.length === 0 || this.cancel.signal.aborted) return;
    this.delivering = this.deliver().finally(() => {
      this.delivering = null;
    });
  }

  private async deliver(): Promise<void> {
    const { client, counters, warn } = this.opts;
    let failures = 0;
    while (this.pending.length > 0 && !this.cancel.signal.aborted) {
      const batch = this.pending.splice(0, this.batchLimit);
      const outcome = await client.upload(this.prbId, this.secret, batch, this.cancel.signal);
      switch (outcome.kind) {
        case "answered": {
          const { stored, duplicates, rejected } = outcome.response;
          counters.sent += batch.length;
          counters.stored += stored;
          counters.duplicates += duplicates;
          counters.rejected += rejected.length;
          const first = rejected[0];
          if (first) warn("rejected", `probe ${this.prbId}: result rejected at ${first.field}: ${first.message}`);
          failures = 0;
          continue;
        }
        case "too-large":
          if (batch.length === 1) {
            counters.errors++;
            counters.dropped++;
            warn("too-large", `probe ${this.prbId}: a single result is too large for ingest`);
          } else {
            this.batchLimit = Math.ceil(batch.length / 2);
            this.pending = batch.concat(this.pending);
          }
          continue;
        case "refused":
          counters.errors++;
          counters.dropped += batch.length;
          warn("refused", `probe ${this.prbId}: batch refused: ${outcome.reason}`);
          continue;
        case "unauthorized":
          counters.errors++;
          this.pending = batch.concat(this.pending);
          await this.renewSecret();
          break;
        case "retry":
          if (outcome.overloaded) counters.overloaded++;
          else counters.errors++;
          this.pending = batch.concat(this.pending);
          warn("retry", `probe ${this.prbId}: upload failed, retrying: ${outcome.reason}`);
          break;
      }
      await sleep(backoffDelay(failures++, RETRY_BASE_MS, RETRY_MAX_MS), this.cancel.signal);
    }
  }

  private async renewSecret(): Promise<void> {
    try {
      this.secret = await this.opts.reregister();
      this.opts.warn("reregistered", `probe ${this.prbId}: secret not accepted, registered again`);
    } catch (error) {
      this.opts.warn("reregister", `probe ${this.prbId}: could not register again: ${String(error)}`);
    }
  }
}
