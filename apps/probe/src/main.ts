#!/usr/bin/env node
import { join } from "node:path";
import { homedir } from "node:os";
import { DEFAULT_FIRMWARE, startAgent } from "./agent.js";
import { stderrLogger } from "./log.js";

// The probe agent as a process: PROBE_ID and PROBE_SECRET from `POST /probe/register`.
const prbId = Number(process.env.PROBE_ID);
const secret = process.env.PROBE_SECRET;
if (!Number.isInteger(prbId) || prbId <= 0 || !secret) {
  stderrLogger.error({}, "set PROBE_ID (a positive integer) and PROBE_SECRET");
  process.exit(2);
}
const firmware = process.env.PROBE_FIRMWARE ? Number(process.env.PROBE_FIRMWARE) : DEFAULT_FIRMWARE;
if (!Number.isInteger(firmware) || firmware < 0) {
  stderrLogger.error({ firmware: process.env.PROBE_FIRMWARE }, "PROBE_FIRMWARE must be a non-negative integer");
  process.exit(2);
}

const agent = await startAgent({
  prbId,
  secret,
  ingestUrl: (process.env.INGEST_URL ?? "http://127.0.0.1:8081").replace(/\/+$/, ""),
  spoolDir: process.env.PROBE_SPOOL_DIR ?? join(homedir(), ".probestream-probe", "spool"),
  firmware,
});

const shutdown = async () => {
  await agent.stop();
  process.exit(0);
};
process.once("SIGINT", () => void shutdown());
process.once("SIGTERM", () => void shutdown());
