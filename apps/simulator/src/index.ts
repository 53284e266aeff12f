export { startFleet, assignMeasurements, DEFAULT_FIRST_PROBE_ID } from "./fleet.js";
export type { Fleet, FleetOptions, FleetStats } from "./fleet.js";
export type { FleetCounters } from "./simulated-probe.js";
export * from "./generators/index.js";
export { DEFAULT_MEASUREMENTS, parseMeasurements } from "./measurement-spec.js";
export { createProbeProfile, createProbeProfiles, registrationOf, type ProbeProfile } from "./probes.js";
export { resolveTarget, type TargetHost } from "./targets.js";
export { pathBetween, type NetworkPath, type Hop } from "./paths.js";
export { Random, seedOf } from "./random.js";
