import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import type { Logger } from "./log.js";
import type { ProbeAssignment } from "@probestream/types";
import type { MeasurementDefinition } from "./measurements/common.js";

/** One measurement this probe takes part in, as the controller assigns it (the wire format's type). */
export type Assignment = Omit<ProbeAssignment, "definition"> & { definition: MeasurementDefinition };

export interface SchedulerOptions {
  prbId: number;
  /** Runs one measurement once; the scheduler never runs two of the same measurement at once. */
  run(assignment: Assignment): Promise<void>;
  log: Logger;
  /** Where finished one-offs are remembered, so a restart does not run them again. */
  stateFile?: string;
  /** Most measurements running at the same moment (default 8). */
  maxConcurrent?: number;
  now?: () => number;
}

interface Scheduled {
  assignment: Assignment;
  key: string;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
}

/**
 * Runs the controller's assignments on time. A periodic measurement runs at
 * `start_time + offset + k * interval`, where the offset is a per-probe hash spread over the
 * measurement's `spread`: thousands of probes on one measurement do not fire in the same second.
 * A one-off runs once, within its spread of its start. Each new list replaces the old one:
 * unchanged measurements keep their timers, changed ones are rescheduled, missing ones stop.
 */
export class Scheduler {
  private readonly scheduled = new Map<number, Scheduled>();
  private readonly doneOneoffs: Set<number>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly queue: (() => void)[] = [];
  private running = 0;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly opts: SchedulerOptions) {
    this.now = opts.now ?? Date.now;
    this.doneOneoffs = new Set(this.readState());
  }

  update(assignments: Assignment[]): void {
    if (this.stopped) return;
    const listed = new Set(assignments.map((assignment) => assignment.msm_id));
    for (const [msmId, entry] of this.scheduled) {
      if (!listed.has(msmId)) {
        clearTimeout(entry.timer);
        this.scheduled.delete(msmId);
        this.opts.log.info({ msmId }, "measurement stopped");
      }
    }
    // A one-off the controller no longer lists can be forgotten.
    for (const msmId of this.doneOneoffs) if (!listed.has(msmId)) this.doneOneoffs.delete(msmId);
    for (const assignment of assignments) {
      const key = JSON.stringify(assignment);
      const current = this.scheduled.get(assignment.msm_id);
      if (current?.key === key) continue;
      if (current) clearTimeout(current.timer);
      const entry: Scheduled = { assignment, key, timer: undefined, running: current?.running ?? false };
      this.scheduled.set(assignment.msm_id, entry);
      this.arm(entry);
    }
    this.writeState();
  }

  /** The measurements currently scheduled. */
  active(): number[] {
    return [...this.scheduled.keys()];
  }

  /** The time (ms) of the next run of `assignment` at or after `nowMs`, or null if none is left. */
  nextRunAt(assignment: Assignment, nowMs: number): number | null {
    const now = nowMs / 1000;
    const start = assignment.start_time ?? 0;
    if (assignment.stop_time !== null && now >= assignment.stop_time) return null;
    if (assignment.is_oneoff || !assignment.interval || assignment.interval <= 0) {
      if (this.doneOneoffs.has(assignment.msm_id)) return null;
      const offset = this.offset(assignment.msm_id, assignment.spread ?? 0);
      return Math.max(now, start + offset) * 1000;
    }
    const interval = assignment.interval;
    const first = start + this.offset(assignment.msm_id, Math.min(assignment.spread ?? interval, interval));
    const at = now <= first ? first : first + Math.ceil((now - first) / interval) * interval;
    if (assignment.stop_time !== null && at >= assignment.stop_time) return null;
    return at * 1000;
  }

  /** Stops every timer and waits for the runs under way, so their results are not lost. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.scheduled.values()) clearTimeout(entry.timer);
    this.scheduled.clear();
    for (const release of this.queue.splice(0)) release();
    await Promise.allSettled([...this.inFlight]);
  }

  /** This probe's place within a spread window: stable per probe and measurement, uniform over the fleet. */
  private offset(msmId: number, spreadSeconds: number): number {
    if (spreadSeconds <= 0) return 0;
    const digest = createHash("sha256").update(`${this.opts.prbId}:${msmId}`).digest();
    return (digest.readUInt32BE(0) / 2 ** 32) * spreadSeconds;
  }

  private arm(entry: Scheduled, notBefore = this.now()): void {
    const at = this.nextRunAt(entry.assignment, notBefore);
    if (at === null) return;
    // setTimeout holds at most ~24.8 days; a longer wait re-arms on the way.
    const delay = Math.min(Math.max(0, at - this.now()), 2 ** 31 - 1);
    entry.timer = setTimeout(() => {
      if (this.scheduled.get(entry.assignment.msm_id) !== entry) return;
      if (at - this.now() > 1000) {
        this.arm(entry, notBefore);
        return;
      }
      this.fire(entry);
      if (entry.assignment.is_oneoff || !entry.assignment.interval) {
        this.doneOneoffs.add(entry.assignment.msm_id);
        this.writeState();
      } else {
        this.arm(entry, Math.max(this.now(), at + 1));
      }
    }, delay);
  }

  private fire(entry: Scheduled): void {
    if (entry.running) {
      this.opts.log.warn({ msmId: entry.assignment.msm_id }, "previous run still going; skipping this one");
      return;
    }
    entry.running = true;
    const run = this.withSlot(() => this.opts.run(entry.assignment))
      .catch((err: unknown) => this.opts.log.error({ err, msmId: entry.assignment.msm_id }, "measurement run failed"))
      .finally(() => {
        entry.running = false;
        this.inFlight.delete(run);
      });
    this.inFlight.add(run);
  }

  private async withSlot(task: () => Promise<void>): Promise<void> {
    if (this.running >= (this.opts.maxConcurrent ?? 8)) await new Promise<void>((resolve) => this.queue.push(resolve));
    if (this.stopped) return;
    this.running++;
    try {
      await task();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  private readState(): number[] {
    if (!this.opts.stateFile) return [];
    try {
      const parsed = JSON.parse(readFileSync(this.opts.stateFile, "utf8")) as { done_oneoffs?: unknown };
      return Array.isArray(parsed.done_oneoffs) ? parsed.done_oneoffs.filter((id): id is number => Number.isInteger(id)) : [];
    } catch {
      return [];
    }
  }

  private writeState(): void {
    if (!this.opts.stateFile) return;
    writeFileSync(this.opts.stateFile, JSON.stringify({ done_oneoffs: [...this.doneOneoffs] }));
  }
}

/** Checks the controller's `assignments` payload; a malformed entry is logged and skipped. */
export function parseAssignments(value: unknown, log: Logger): Assignment[] | null {
  if (!Array.isArray(value)) {
    log.error({ received: typeof value }, "assignments must be an array");
    return null;
  }
  const assignments: Assignment[] = [];
  for (const item of value) {
    const a = item as Record<string, unknown>;
    const msmId = Number(a?.msm_id);
    if (!Number.isInteger(msmId) || msmId <= 0 || typeof a.type !== "string") {
      log.error({ item }, "assignment without msm_id or type skipped");
      continue;
    }
    assignments.push({
      msm_id: msmId,
      type: a.type,
      interval: optionalNumber(a.interval),
      is_oneoff: a.is_oneoff === true,
      start_time: optionalNumber(a.start_time),
      stop_time: optionalNumber(a.stop_time),
      spread: optionalNumber(a.spread),
      definition: typeof a.definition === "object" && a.definition !== null ? (a.definition as MeasurementDefinition) : {},
    });
  }
  return assignments;
}

function optionalNumber(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return null;
}
