/**
 * The simulated probe fleet of the seed-week soak (forked by seed-week.ts), in its own process so
 * that its work does not run on the platform's or the bench's event loop. It runs what the
 * controller assigns, and tells the parent, every second, its counters and when each measurement
 * first reached one of its probes (the controller's assignment push).
 *
 * argv[2]: the FleetOptions as JSON (without callbacks). Parent → fleet: "stop".
 * Fleet → parent: {type:"started"} | {type:"stats", stats, assigned: [msmId, unixMs][]} | {type:"stopped", stats}
 */
import { startFleet, type FleetOptions, type FleetStats } from "@probestream/simulator";

export type SeedFleetOptions = Omit<FleetOptions, "signal" | "log" | "onAssignments">;
export type SeedFleetMessage =
  | { type: "started" }
  | { type: "stats"; stats: FleetStats; assigned: [number, number][] }
  | { type: "stopped"; stats: FleetStats };

const REPORT_MS = 1000;

const options = JSON.parse(process.argv[2] ?? "{}") as SeedFleetOptions;
const send = (m: SeedFleetMessage) => process.send?.(m);
const seen = new Set<number>();
let assigned: [number, number][] = [];

const fleet = await startFleet({
  ...options,
  log: (message) => process.stderr.write(`[seed-week fleet] ${message}\n`),
  onAssignments: (_prbId, list) => {
    if (!Array.isArray(list)) return;
    const at = Date.now();
    for (const item of list as { msm_id?: unknown }[]) {
      if (typeof item.msm_id !== "number" || seen.has(item.msm_id)) continue;
      seen.add(item.msm_id);
      assigned.push([item.msm_id, at]);
    }
  },
});
send({ type: "started" });
const reporter = setInterval(() => {
  send({ type: "stats", stats: fleet.stats(), assigned });
  assigned = [];
}, REPORT_MS);

process.on("message", (m: unknown) => {
  if (m !== "stop") return;
  clearInterval(reporter);
  void fleet.stop().then(() => {
    send({ type: "stopped", stats: fleet.stats() });
    process.disconnect();
  });
});
