import { createHash } from "node:crypto";
import { isResultType } from "@probestream/types";
import type { Measurement } from "./generators/index.js";

/** One measurement as the controller assigns it (`ProbeAssignment` on the wire), checked. */
export interface ControllerAssignment {
  msmId: number;
  measurement: Measurement;
  interval: number | null;
  isOneoff: boolean;
  /** Unix seconds; null: as soon as possible. */
  startTime: number | null;
  stopTime: number | null;
  spread: number | null;
}

/**
 * A run whose time passed at most this long before the probe heard of it still runs, late: a
 * measurement that starts now is not put off by a whole interval because its list arrived a
 * moment after its start.
 */
const LATE_RUN_MS = 10_000;

/** A run that fell due: the measurement and the Unix second it ran at. */
export interface DueRun {
  measurement: Measurement;
  timestamp: number;
}

interface Planned {
  assignment: ControllerAssignment;
  /** The assignment as sent: an unchanged one keeps its schedule. */
  key: string;
  /** Milliseconds; null when nothing is left to run. */
  nextAt: number | null;
}

/**
 * A simulated probe's schedule of what its controller assigned, timed like the probe agent's
 * scheduler: a periodic measurement runs at `start + offset + k * interval`, the offset a stable
 * per-probe place within the spread (at most the interval), so a fleet does not fire at once; a
 * one-off runs once, within its spread of its start (at once without one). Each list from the
 * controller replaces the last: unchanged measurements keep their times, missing ones stop. The
 * probe asks for due runs on its own tick instead of holding a timer each, which keeps thousands
 * of probes cheap.
 */
export class ControllerPlan {
  private readonly planned = new Map<number, Planned>();
  /** One-offs run (or given up) while listed: a changed listing (start time set) must not run them again. */
  private readonly doneOneoffs = new Set<number>();

  constructor(
    private readonly prbId: number,
    /** Measurements the probe already runs by other means (the fleet's own rate): not run twice. */
    private readonly skip: ReadonlySet<number> = new Set(),
  ) {}

  get size(): number {
    return this.planned.size;
  }

  /** Replaces the plan with the controller's list; entries that are not assignments are ignored. */
  update(list: unknown, nowMs = Date.now()): void {
    const assignments = parseAssignments(list).filter((a) => !this.skip.has(a.msmId));
    const listed = new Set(assignments.map((a) => a.msmId));
    for (const msmId of this.planned.keys()) if (!listed.has(msmId)) this.planned.delete(msmId);
    for (const msmId of this.doneOneoffs) if (!listed.has(msmId)) this.doneOneoffs.delete(msmId);
    for (const assignment of assignments) {
      const key = JSON.stringify(assignment);
      if (this.planned.get(assignment.msmId)?.key === key) continue;
      this.planned.set(assignment.msmId, { assignment, key, nextAt: this.nextRunAt(assignment, nowMs - LATE_RUN_MS) });
    }
  }

  /** The runs due by `nowMs`, run now; a probe that fell behind runs a missed period once, late. */
  due(nowMs = Date.now()): DueRun[] {
    const runs: DueRun[] = [];
    for (const entry of this.planned.values()) {
      if (entry.nextAt === null || entry.nextAt > nowMs) continue;
      const { assignment } = entry;
      runs.push({ measurement: assignment.measurement, timestamp: Math.floor(nowMs / 1000) });
      if (assignment.isOneoff || !assignment.interval) {
        this.doneOneoffs.add(assignment.msmId);
        entry.nextAt = null;
      } else {
        entry.nextAt = this.nextRunAt(assignment, Math.max(nowMs, entry.nextAt) + 1);
      }
    }
    return runs;
  }

  /** When `assignment` runs next at or after `nowMs` (ms), or null when it will not. */
  nextRunAt(assignment: ControllerAssignment, nowMs: number): number | null {
    const now = nowMs / 1000;
    const start = assignment.startTime ?? 0;
    if (assignment.stopTime !== null && now >= assignment.stopTime) return null;
    if (assignment.isOneoff || !assignment.interval) {
      if (this.doneOneoffs.has(assignment.msmId)) return null;
      return Math.max(now, start + this.offset(assignment.msmId, assignment.spread ?? 0)) * 1000;
    }
    const { interval } = assignment;
    const first = start + this.offset(assignment.msmId, Math.min(assignment.spread ?? interval, interval));
    const at = now <= first ? first : first + Math.ceil((now - first) / interval) * interval;
    if (assignment.stopTime !== null && at >= assignment.stopTime) return null;
    return at * 1000;
  }

  /** This probe's place within a spread window: stable per probe and measurement, uniform over the fleet. */
  private offset(msmId: number, spreadSeconds: number): number {
    if (spreadSeconds <= 0) return 0;
    const digest = createHash("sha256").update(`${this.prbId}:${msmId}`).digest();
    return (digest.readUInt32BE(0) / 2 ** 32) * spreadSeconds;
  }
}

/** The controller's `assignments` payload as the fleet can run it: unknown types and malformed entries are left out. */
export function parseAssignments(value: unknown): ControllerAssignment[] {
  if (!Array.isArray(value)) return [];
  const assignments: ControllerAssignment[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== "object" || item === null) continue;
    const a = item as Record<string, unknown>;
    const msmId = a.msm_id;
    if (typeof msmId !== "number" || !Number.isInteger(msmId) || msmId < 1 || !isResultType(a.type)) continue;
    const definition = typeof a.definition === "object" && a.definition !== null ? (a.definition as Record<string, unknown>) : {};
    const target = typeof definition.target === "string" ? definition.target : "";
    assignments.push({
      msmId,
      measurement: { id: msmId, type: a.type, target, options: definition },
      interval: positiveOrNull(a.interval),
      isOneoff: a.is_oneoff === true,
      startTime: positiveOrNull(a.start_time),
      stopTime: positiveOrNull(a.stop_time),
      spread: positiveOrNull(a.spread) ?? (a.spread === 0 ? 0 : null),
    });
  }
  return assignments;
}

function positiveOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : null;
}
