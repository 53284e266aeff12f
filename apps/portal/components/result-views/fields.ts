// Reading RIPE Atlas result JSON as it arrives: shapes vary by type and firmware, and old firmware
// sends numbers as strings.
import { isRecord, mean, num, records, type UntypedResult } from "@probestream/types/summary";

export { isRecord, mean, num, records, type UntypedResult };

export function text(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return null;
}

/** The error a result or one of its parts reports, in words, if any. */
export function errorOf(entry: Record<string, unknown>): string | null {
  for (const key of ["error", "err", "dnserr"]) {
    const value = entry[key];
    if (value === undefined || value === null) continue;
    if (typeof value === "string") return value;
    if (isRecord(value)) return Object.entries(value).map(([k, v]) => `${k}: ${String(v)}`).join(", ");
    return JSON.stringify(value);
  }
  return null;
}
