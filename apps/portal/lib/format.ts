import { measurementStatusName } from "@probestream/types/status";

export function statusName(status: number): string {
  return measurementStatusName(status) ?? `Status ${status}`;
}

/** UTC, second precision: results are timestamped in Unix seconds. */
export function formatTime(time: Date | number | null): string {
  if (time === null) return "—";
  const date = typeof time === "number" ? new Date(time * 1000) : time;
  return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}
