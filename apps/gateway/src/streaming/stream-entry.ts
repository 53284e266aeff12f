/** A committed result on its way to subscribers. */
export interface StreamEntry {
  /** Stream position: its place in the committed log (packages/db result-log.ts). */
  id: string;
  json: string;
  /** Owner of its private measurement, null when public. */
  privateTo: number | null;
  /** Parsed once, when a filter or a socket.io client needs the object. */
  result: Record<string, unknown>;
  /** When its batch was stored (Unix ms), 0 when unknown. */
  committedAt: number;
}

export { positionAfter } from "@probestream/db";
