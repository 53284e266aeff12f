import { ProbeStatusId, ProbeStatusNames } from "@probestream/types/status";
import type { ProbeStatusEvent } from "@probestream/types";

/** A probe's status as shown: the API's at page load, then the stream's changes. */
export interface ShownStatus {
  id: number;
  /** Unix seconds, null when never known. */
  since: number | null;
}

export function probeStatusName(id: number): string {
  return (ProbeStatusNames as Record<number, string>)[id] ?? `Status ${id}`;
}

/** Each status's colour on maps and badges (the theme's custom properties, so both themes hold). */
export function probeStatusColor(id: number): string {
  switch (id) {
    case ProbeStatusId.Connected:
      return "var(--ok)";
    case ProbeStatusId.Disconnected:
      return "var(--bad)";
    case ProbeStatusId.Abandoned:
      return "var(--warn)";
    default:
      return "var(--muted)";
  }
}

/** The status a connection event leaves a probe in. */
export function statusAfter(event: ProbeStatusEvent): ShownStatus {
  return { id: event.event === "connect" ? ProbeStatusId.Connected : ProbeStatusId.Disconnected, since: event.timestamp };
}

/** Seconds as days, hours and minutes, to the two largest units. */
export function formatDuration(seconds: number): string {
  const parts: [number, string][] = [
    [Math.floor(seconds / 86_400), "d"],
    [Math.floor((seconds % 86_400) / 3600), "h"],
    [Math.floor((seconds % 3600) / 60), "min"],
  ];
  const shown = parts.filter(([n]) => n > 0).slice(0, 2);
  return shown.length === 0 ? `${Math.floor(seconds)} s` : shown.map(([n, unit]) => `${n} ${unit}`).join(" ");
}
