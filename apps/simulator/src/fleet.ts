import { setMaxListeners } from "node:events";
import { backoffDelay } from "@probestream/types";
import { RETRY_BASE_MS, RETRY_MAX_MS, sleep } from "./retry.js";
import type { Measurement } from "./generators/index.js";
import { IngestClient, RegistrationRefused, describeError } from "./ingest-client.js";
import { ProbeSessionClients } from "./probe-session-clients.js";
import { createProbeProfiles, registrationOf, type ProbeProfile } from "./probes.js";
import { Random, seedOf } from "./random.js";
import { SimulatedProbe, type FleetCounters } from "./simulated-probe.js";

export interface FleetOptions {
  ingestUrl: string;
  adminToken: string;
  probes: number;
  /** Results per second over the whole fleet. */
  rate: number;
  /** Measurements the fleet runs at `rate` whatever the controller says (the demo's, or ids no controller knows); may be empty. */
  measurements: Measurement[];
  /** Probe ids are `firstProbeId`, `firstProbeId + 1`, ...; default 1000001 (software-probe range). */
  firstProbeId?: number;
  /** How often each probe uploads its batch; default 1000. */
  batchMs?: number;
  /** Aborting stops the fleet (or, during start, abandons it with the abort reason). */
  signal?: AbortSignal;
  log?: (message: string) => void;
  /** Whether probes keep a socket.io session open (and so take assignments from the controller); default true. */
  sessions?: boolean;
  /** How many of the probes are anchors (`is_anchor`), evenly spread over the fleet; default none. */
  anchors?: number;
  /** Share of the sessions that drop each minute and come back after 5-30 s (churn); default none. */
  churnPerMinute?: number;
  /** Called with every assignment list a probe receives from its controller (benchmarks time them). */
  onAssignments?: (prbId: number, list: unknown) => void;
}

export interface FleetStats extends FleetCounters {
  /** Probes whose session is open right now. */
  connected: number;
  /** Sessions closed by churn so far. */
  churned: number;
}

export interface Fleet {
  readonly probes: readonly ProbeProfile[];
  /** Which probes run which measurement. */
  readonly assignments: ReadonlyMap<number, readonly number[]>;
  stats(): FleetStats;
  /** Stops measuring, sends what is pending (for up to 10 s), closes the sessions. */
  stop(): Promise<void>;
}

export const DEFAULT_FIRST_PROBE_ID = 1_000_001;
/** Share of the fleet that runs each measurement, as on RIPE Atlas where few run on every probe. */
const PROBE_SHARE = 0.7;
const REGISTRATION_CONCURRENCY = 16;
const DRAIN_TIMEOUT_MS = 10_000;
const WARN_EVERY_MS = 10_000;

/** Registers the probes, then runs them until `stop()` or the signal. */
export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  validate(opts);
  // Every probe's pending upload and back-off listens to the signal: thousands at once is expected.
  if (opts.signal) setMaxListeners(0, opts.signal);
  const log = opts.log ?? (() => {});
  const warn = throttled(log);
  const client = new IngestClient(opts.ingestUrl, opts.adminToken);
  const profiles = createProbeProfiles(opts.probes, opts.firstProbeId ?? DEFAULT_FIRST_PROBE_ID, opts.anchors);
  const assignments = assignMeasurements(profiles, opts.measurements);
  const measurementsOf = measurementsByProbe(opts.measurements, assignments);
  const pairs = [...assignments.values()].reduce((sum, probes) => sum + probes.length, 0);
  const counters: FleetCounters = { sent: 0, stored: 0, duplicates: 0, rejected: 0, errors: 0, overloaded: 0, dropped: 0, assigned: 0 };
  const fleetMeasurements = new Set(opts.measurements.map((measurement) => measurement.id));

  log(`registering ${profiles.length} probes at ${opts.ingestUrl}`);
  const secrets = await mapConcurrently(profiles, REGISTRATION_CONCURRENCY, (profile) =>
    registerWithRetry(client, profile, warn, opts.signal),
  );
  opts.signal?.throwIfAborted();

  const probes = profiles.map(
    (profile, index) =>
      new SimulatedProbe({
        profile,
        secret: secrets[index] as string,
        measurements: measurementsOf.get(profile.prbId) ?? [],
        fleetMeasurements,
        resultsPerSecond: pairs > 0 ? opts.rate / pairs : 0,
        client,
        counters,
        reregister: async () => (await client.register(registrationOf(profile))).secret,
        warn,
      }),
  );
  for (const probe of probes) probe.start(opts.batchMs ?? 1000);
  log(`${probes.length} probes running ${opts.measurements.length} measurements at ${opts.rate} results/s, and what the controller assigns`);

  const sessions = opts.sessions === false ? null : new ProbeSessionClients(opts.ingestUrl, warn);
  const { onAssignments } = opts;
  const sessionProbes = onAssignments
    ? probes.map((probe) => ({
        prbId: probe.prbId,
        get secret() {
          return probe.secret;
        },
        assign(list: unknown) {
          probe.assign(list);
          onAssignments(probe.prbId, list);
        },
      }))
    : probes;
  const opening = sessions?.open(sessionProbes) ?? Promise.resolve();
  if (opts.churnPerMinute) void opening.then(() => sessions?.startChurn(opts.churnPerMinute ?? 0));

  let stopping: Promise<void> | null = null;
  const onAbort = () => void stop();
  const stop = () => {
    stopping ??= (async () => {
      opts.signal?.removeEventListener("abort", onAbort);
      const drained = Promise.all(probes.map((probe) => probe.drain()));
      const timer = setTimeout(() => probes.forEach((probe) => probe.abandon()), DRAIN_TIMEOUT_MS);
      await drained;
      clearTimeout(timer);
      counters.dropped += probes.reduce((sum, probe) => sum + probe.backlog, 0);
      sessions?.close();
      await opening;
      log("fleet stopped");
    })();
    return stopping;
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  return {
    probes: profiles,
    assignments,
    stats: () => ({ ...counters, connected: sessions?.connected() ?? 0, churned: sessions?.churned ?? 0 }),
    stop,
  };
}

function validate(opts: FleetOptions): void {
  if (!Number.isInteger(opts.probes) || opts.probes < 1) throw new RangeError("probes must be a positive integer");
  if (!(opts.rate > 0)) throw new RangeError("rate must be positive");
  if (new Set(opts.measurements.map((measurement) => measurement.id)).size !== opts.measurements.length) {
    throw new RangeError("measurement ids must be unique");
  }
  if (opts.batchMs !== undefined && !(opts.batchMs >= 10)) throw new RangeError("batchMs must be at least 10");
}

/**
 * Gives each measurement a stable subset of the probes (the same ids always get the same
 * measurements), never an empty one.
 */
export function assignMeasurements(
  probes: readonly ProbeProfile[],
  measurements: readonly Measurement[],
): Map<number, number[]> {
  const assignments = new Map<number, number[]>();
  for (const measurement of measurements) {
    const chosen = probes
      .filter((probe) => new Random(seedOf("assign", measurement.id, probe.prbId)).chance(PROBE_SHARE))
      .map((probe) => probe.prbId);
    if (chosen.length === 0) {
      const random = new Random(seedOf("assign", measurement.id));
      chosen.push(random.pick(probes).prbId);
    }
    assignments.set(measurement.id, chosen);
  }
  return assignments;
}

function measurementsByProbe(
  measurements: readonly Measurement[],
  assignments: ReadonlyMap<number, readonly number[]>,
): Map<number, Measurement[]> {
  const byProbe = new Map<number, Measurement[]>();
  for (const measurement of measurements) {
    for (const prbId of assignments.get(measurement.id) ?? []) {
      const list = byProbe.get(prbId);
      if (list) list.push(measurement);
      else byProbe.set(prbId, [measurement]);
    }
  }
  return byProbe;
}

/** Registration retries until ingest is reachable; a refusal (bad token, bad data) is final. */
async function registerWithRetry(
  client: IngestClient,
  profile: ProbeProfile,
  warn: (key: string, message: string) => void,
  signal?: AbortSignal,
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return (await client.register(registrationOf(profile), signal)).secret;
    } catch (error) {
      if (error instanceof RegistrationRefused) throw error;
      signal?.throwIfAborted();
      warn("register", `registration failed, retrying: ${describeError(error)}`);
    }
    await sleep(backoffDelay(attempt, RETRY_BASE_MS, RETRY_MAX_MS), signal);
  }
}

async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A log that says the same kind of thing at most once per period, with how often it happened. */
function throttled(log: (message: string) => void): (key: string, message: string) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (key, message) => {
    const now = Date.now();
    const entry = last.get(key);
    if (entry && now - entry.at < WARN_EVERY_MS) {
      entry.suppressed++;
      return;
    }
    const more = entry && entry.suppressed > 0 ? ` (and ${entry.suppressed} more like it)` : "";
    last.set(key, { at: now, suppressed: 0 });
    log(message + more);
  };
}
