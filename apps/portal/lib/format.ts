/** UTC, second precision: results are timestamped in Unix seconds. */
export function formatTime(time: Date | number | null): string {
  if (time === null) return "—";
  const date = typeof time === "number" ? new Date(time * 1000) : time;
  return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** Milliseconds with the precision a network time has: 2 decimals below 10 ms, 1 above. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  return `${ms.toFixed(Math.abs(ms) < 10 ? 2 : 1)} ms`;
}

/** A share as a whole percentage. */
export function formatPercent(share: number | null): string {
  return share === null || !Number.isFinite(share) ? "—" : `${Math.round(share * 100)}%`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** An NTP offset, given in seconds, in the unit that reads best. */
export function formatOffset(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "—";
  return Math.abs(seconds) < 1 ? `${(seconds * 1000).toFixed(3)} ms` : `${seconds.toFixed(3)} s`;
}

/** A datetime-local input's value (read as UTC) for a Unix time, and back. */
export function toUtcInputValue(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16);
}

export function fromUtcInputValue(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const ms = Date.parse(`${value}Z`);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}
