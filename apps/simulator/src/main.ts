#!/usr/bin/env node
import { parseArgs } from "node:util";
import { DEFAULT_FIRST_PROBE_ID, startFleet, type Fleet, type FleetStats } from "./fleet.js";
import { DEFAULT_MEASUREMENTS, parseMeasurements } from "./measurement-spec.js";

const USAGE = `probestream-simulator: a fleet of simulated probes feeding the ingest API. Each probe holds a
session with its controller and also runs what it is assigned there (measurements created through the
REST API), on their schedule.

  --ingest-url URL        INGEST_URL          default http://127.0.0.1:8081
  --admin-token TOKEN     INGEST_ADMIN_TOKEN  required
  --probes N              SIM_PROBES          default 50
  --rate R                SIM_RATE            results per second, whole fleet; default 20
  --measurements SPEC     SIM_MEASUREMENTS    id:type:target,...; default 1791207:ping:k.root-servers.net
                                              and one of each other type, ids 1791208..1791212
  --first-probe-id ID     SIM_FIRST_PROBE_ID  default 1000001
  --batch-ms MS           SIM_BATCH_MS        how often each probe uploads; default 1000
`;

const STATS_EVERY_MS = 10_000;

function settings() {
  const { values } = parseArgs({
    options: {
      "ingest-url": { type: "string" },
      "admin-token": { type: "string" },
      probes: { type: "string" },
      rate: { type: "string" },
      measurements: { type: "string" },
      "first-probe-id": { type: "string" },
      "batch-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const env = process.env;
  const adminToken = values["admin-token"] ?? env.INGEST_ADMIN_TOKEN;
  if (!adminToken) throw new Error("INGEST_ADMIN_TOKEN (or --admin-token) is required");
  const measurementSpec = values.measurements ?? env.SIM_MEASUREMENTS;
  return {
    ingestUrl: values["ingest-url"] ?? env.INGEST_URL ?? "http://127.0.0.1:8081",
    adminToken,
    probes: numberSetting("probes", values.probes ?? env.SIM_PROBES, 50),
    rate: numberSetting("rate", values.rate ?? env.SIM_RATE, 20),
    measurements: measurementSpec ? parseMeasurements(measurementSpec) : [...DEFAULT_MEASUREMENTS],
    firstProbeId: numberSetting("first-probe-id", values["first-probe-id"] ?? env.SIM_FIRST_PROBE_ID, DEFAULT_FIRST_PROBE_ID),
    batchMs: numberSetting("batch-ms", values["batch-ms"] ?? env.SIM_BATCH_MS, 1000),
  };
}

function numberSetting(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not "${text}"`);
  return value;
}

function log(message: string): void {
  process.stdout.write(`[simulator] ${new Date().toISOString()} ${message}\n`);
}

function statsLine(stats: FleetStats, probes: number, perSecond: number): string {
  return (
    `sent=${stats.sent} stored=${stats.stored} duplicates=${stats.duplicates} rejected=${stats.rejected} ` +
    `errors=${stats.errors} overloaded=${stats.overloaded} dropped=${stats.dropped} assigned=${stats.assigned} connected=${stats.connected}/${probes} rate=${perSecond.toFixed(1)}/s`
  );
}

async function main(): Promise<void> {
  let options: ReturnType<typeof settings>;
  try {
    options = settings();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }

  const shutdown = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown.signal.aborted) {
      log(`${signal} again, exiting now`);
      process.exit(1);
    }
    log(`${signal}: stopping`);
    shutdown.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let fleet: Fleet;
  try {
    fleet = await startFleet({ ...options, signal: shutdown.signal, log });
  } catch (error) {
    if (shutdown.signal.aborted) return;
    throw error;
  }

  let lastSent = 0;
  let lastAt = performance.now();
  const report = () => {
    const stats = fleet.stats();
    const now = performance.now();
    log(statsLine(stats, options.probes, ((stats.sent - lastSent) * 1000) / (now - lastAt)));
    lastSent = stats.sent;
    lastAt = now;
  };
  const reporter = setInterval(report, STATS_EVERY_MS);
  await new Promise<void>((resolve) => shutdown.signal.addEventListener("abort", () => resolve(), { once: true }));
  await fleet.stop();
  clearInterval(reporter);
  report();
}

main().catch((error: unknown) => {
  process.stderr.write(`[simulator] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
