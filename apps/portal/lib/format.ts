/**
 * RIPE Atlas measurement status ids, as `MeasurementStatus` in @probestream/types. Not imported from
 * there: this module reaches the browser bundle, and that package's entry pulls in node:net.
 */
const STATUS_NAMES: Record<number, string> = {
  0: "Specified",
  1: "Scheduled",
  2: "Ongoing",
  4: "Stopped",
  5: "Forced to stop",
  6: "No suitable probes",
  7: "Failed",
  8: "Archived",
};

export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? `Status ${status}`;
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
