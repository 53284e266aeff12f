/** A committed result on its way to subscribers. */
export interface StreamEntry {
  /** Stream position: the storage id, increasing in commit order. */
  id: string;
  json: string;
  /** Owner of its private measurement, null when public. */
  privateTo: number | null;
  /** Parsed once, when a filter or a socket.io client needs the object. */
  result: Record<string, unknown>;
  /** When its batch committed (Unix ms), 0 when unknown. */
  committedAt: number;
}

/** Compares two positions (decimal strings without leading zeros). */
export function positionAfter(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}
