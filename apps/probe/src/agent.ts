import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { validateResult } from "@probestream/types";
import { ControllerSession } from "./controller-session.js";
import { stderrLogger, type Logger } from "./log.js";
import { measurementRunners, type ResultObject } from "./measurements/index.js";
import { Scheduler, type Assignment } from "./scheduler.js";
import { Sender } from "./sender.js";
import { Spool } from "./spool.js";

export const DEFAULT_FIRMWARE = 5000;

export interface AgentOptions {
  prbId: number;
  secret: string;
  /** The controller's base URL (ingest), e.g. http://127.0.0.1:8081. */
  ingestUrl: string;
  spoolDir: string;
  firmware?: number;
  /** The probe's public addresses; by default the first global address of each family on this host. */
  addresses?: { v4?: string; v6?: string };
  log?: Logger;
  /** Results per batch (default 500). */
  batchSize?: number;
  maxSpoolBytes?: number;
  /** Back-off bounds for reconnecting and re-sending (defaults 1 s and 60 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Called with every result once it is safely in the spool. */
  onResult?(result: ResultObject): void;
}

export interface Agent {
  readonly spool: Spool;
  readonly sender: Sender;
  readonly scheduler: Scheduler;
  readonly session: ControllerSession;
  /** Stops measuring and sending; results not yet acknowledged stay in the spool for the next start. */
  stop(): Promise<void>;
}

/** Wires the probe together: controller session → scheduler → measurements → spool → sender. */
export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const log = opts.log ?? stderrLogger;
  const firmware = opts.firmware ?? DEFAULT_FIRMWARE;
  const addresses = opts.addresses ?? localAddresses();
  const spool = new Spool({ dir: opts.spoolDir, batchSize: opts.batchSize, maxBytes: opts.maxSpoolBytes, log });
  if (spool.pending > 0) log.info({ pending: spool.pending }, "spooled results from an earlier run will be sent");
  const sender = new Sender({
    ingestUrl: opts.ingestUrl,
    prbId: opts.prbId,
    secret: opts.secret,
    spool,
    log,
    retryBaseMs: opts.retryBaseMs,
    retryMaxMs: opts.retryMaxMs,
  });

  const runAssignment = async (assignment: Assignment): Promise<void> => {
    const runner = measurementRunners[assignment.type];
    if (!runner) {
      log.error({ msmId: assignment.msm_id, type: assignment.type }, "measurement type not supported");
      return;
    }
    const result = await runner(assignment.definition, {
      msmId: assignment.msm_id,
      prbId: opts.prbId,
      firmware,
      interval: assignment.is_oneoff ? null : assignment.interval,
      publicAddress: addresses,
      lts: -1,
    });
    const validation = validateResult(result);
    if (!validation.ok) {
      // Our own result failing the schema is a bug in the measurement code, never the controller's.
      log.error({ msmId: assignment.msm_id, field: validation.field, message: validation.message, result }, "produced an invalid result");
      return;
    }
    spool.append(result);
    opts.onResult?.(result);
    sender.notify();
  };

  const scheduler = new Scheduler({
    prbId: opts.prbId,
    run: runAssignment,
    log,
    stateFile: join(opts.spoolDir, "scheduler-state.json"),
  });
  const session = new ControllerSession({
    ingestUrl: opts.ingestUrl,
    prbId: opts.prbId,
    secret: opts.secret,
    firmware,
    addresses,
    log,
    reconnectBaseMs: opts.retryBaseMs,
    reconnectMaxMs: opts.retryMaxMs,
    onAssignments: (assignments) => {
      log.info({ measurements: assignments.map((a) => a.msm_id) }, "assignments received");
      scheduler.update(assignments);
    },
    onConnect: () => sender.retryNow(),
  });

  sender.start();
  session.start();
  sender.notify();

  return {
    spool,
    sender,
    scheduler,
    session,
    async stop() {
      session.close();
      await scheduler.stop();
      await sender.stop();
      spool.close();
    },
  };
}

/** The first global (non-internal, non-link-local) address of each family on this host. */
export function localAddresses(): { v4?: string; v6?: string } {
  const found: { v4?: string; v6?: string } = {};
  for (const infos of Object.values(networkInterfaces())) {
    for (const info of infos ?? []) {
      if (info.internal) continue;
      if (info.family === "IPv4") found.v4 ??= info.address;
      else if (info.family === "IPv6" && !info.address.toLowerCase().startsWith("fe80")) found.v6 ??= info.address;
    }
  }
  return found;
}
