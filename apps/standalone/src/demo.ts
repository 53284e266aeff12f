import { createPool, MeasurementStore } from "@probestream/db";
import { startFleet, type Fleet } from "@probestream/simulator";
import type { ResultType } from "@probestream/types";

export interface DemoMeasurement {
  id: number;
  type: ResultType;
  target: string;
  description: string;
}

/** The demo's measurements; 1791207 is the id in the RIPE Atlas seed snippet. */
export const DEMO_MEASUREMENTS: DemoMeasurement[] = [
  { id: 1791207, type: "ping", target: "k.root-servers.net", description: "Ping k.root-servers.net (demo)" },
  { id: 1791208, type: "traceroute", target: "www.ripe.net", description: "Traceroute www.ripe.net (demo)" },
  { id: 1791209, type: "dns", target: "k.root-servers.net", description: "DNS SOA . at k.root (demo)" },
  { id: 1791210, type: "sslcert", target: "www.ripe.net", description: "TLS certificate of www.ripe.net (demo)" },
  { id: 1791211, type: "ntp", target: "pool.ntp.org", description: "NTP pool.ntp.org (demo)" },
  { id: 1791212, type: "http", target: "www.ripe.net", description: "HTTP GET www.ripe.net (demo)" },
];

export interface DemoOptions {
  databaseUrl: string;
  ingestUrl: string;
  adminToken: string;
  probes: number;
  /** Results per second over the whole fleet. */
  rate: number;
  measurements?: DemoMeasurement[];
  log?: (message: string) => void;
}

/**
 * Starts the simulated fleet and records its measurements as what they are: ongoing since now, IPv4,
 * on the probes the fleet runs each of, at the interval the fleet's rate gives each probe.
 */
export async function startDemo(opts: DemoOptions): Promise<Fleet> {
  const measurements = opts.measurements ?? DEMO_MEASUREMENTS;
  const fleet = await startFleet({
    ingestUrl: opts.ingestUrl,
    adminToken: opts.adminToken,
    probes: opts.probes,
    rate: opts.rate,
    measurements,
    log: opts.log,
  });
  const pairs = [...fleet.assignments.values()].reduce((sum, probes) => sum + probes.length, 0);
  const pool = createPool(opts.databaseUrl, 2);
  try {
    await new MeasurementStore(pool).ensureOngoing(
      measurements.map((m) => ({
        ...m,
        af: 4,
        interval: Math.max(1, Math.round(pairs / opts.rate)),
        prbIds: [...(fleet.assignments.get(m.id) ?? [])],
      })),
    );
  } catch (err) {
    await fleet.stop();
    throw err;
  } finally {
    await pool.end();
  }
  return fleet;
}
