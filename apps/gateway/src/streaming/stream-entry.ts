/**
 * A committed result on its way to subscribers: routed by the fields the bus carries beside its
 * JSON, which is parsed only when something reads its values (a value or address filter, an
 * alert): measured here, parsing every result for routing was the largest part of the gateway's
 * per-result cost when each result reaches a single socket.
 */
export class StreamEntry {
  private parsed: Record<string, unknown> | undefined;

  constructor(
    /** Stream position: its place in the committed log (packages/db result-log.ts). */
    readonly id: string,
    readonly json: string,
    /** Owner of its private measurement, null when public. */
    readonly privateTo: number | null,
    readonly msmId: number,
    readonly prbId: number,
    /** The probe's measurement time, Unix seconds. */
    readonly timestamp: number,
    readonly type: string,
    /** When its batch was stored (Unix ms), 0 when unknown. */
    readonly committedAt: number,
  ) {}

  /** The result object, parsed on first use. */
  get result(): Record<string, unknown> {
    this.parsed ??= JSON.parse(this.json) as Record<string, unknown>;
    return this.parsed;
  }
}

export { positionAfter } from "@probestream/db";
