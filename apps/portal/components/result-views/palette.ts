/** Distinguishable line colours for probes, readable on light and dark backgrounds. */
const PALETTE = ["#1f77b4", "#e8590c", "#2f9e44", "#d6336c", "#7048e8", "#0c8599", "#a6761d", "#e64980", "#5c940d", "#1864ab"];

export function probeColor(index: number): string {
  return PALETTE[index % PALETTE.length] ?? "#1f77b4";
}

/** Latency as a colour: green when near, through amber, to red when far (or no answer: grey). */
export function latencyColor(ms: number | null): string {
  if (ms === null) return "#8a8f98";
  if (ms < 30) return "#2f9e44";
  if (ms < 80) return "#94c11f";
  if (ms < 150) return "#f2a900";
  if (ms < 300) return "#e8590c";
  return "#c92a2a";
}

export const LATENCY_LEGEND: { label: string; color: string }[] = [
  { label: "< 30 ms", color: latencyColor(0) },
  { label: "30–80 ms", color: latencyColor(30) },
  { label: "80–150 ms", color: latencyColor(80) },
  { label: "150–300 ms", color: latencyColor(150) },
  { label: "≥ 300 ms", color: latencyColor(300) },
  { label: "no answer", color: latencyColor(null) },
];
