import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/** Version of our measurement code (RIPE `mver`): major incompatible, minor fields added, patch fixes. */
const MEASUREMENT_VERSION = "1.0.0";

/** The RIPE Atlas options of a measurement, as the controller hands them over. */
export interface MeasurementDefinition {
  target?: string;
  af?: 4 | 6;
  packets?: number;
  size?: number;
  packet_interval?: number;
  protocol?: string;
  paris?: number;
  first_hop?: number;
  max_hops?: number;
  port?: number;
  query_class?: string;
  query_type?: string;
  query_argument?: string;
  use_probe_resolver?: boolean;
  set_rd_bit?: boolean;
  set_do_bit?: boolean;
  udp_payload_size?: number;
  include_qbuf?: boolean;
  retry?: number;
  method?: string;
  path?: string;
  query_string?: string;
  version?: string;
  header_bytes?: number;
  https?: boolean;
  hostname?: string;
  timeout?: number;
  [option: string]: unknown;
}

/** What a measurement needs to know about the probe running it. */
export interface MeasurementContext {
  msmId: number;
  prbId: number;
  firmware: number;
  /** The measurement's interval in seconds (RIPE `step`); null for a one-off. */
  interval: number | null;
  /** The probe's public addresses as it reports them to the controller (RIPE `from`). */
  publicAddress: { v4?: string; v6?: string };
  /** Seconds since the probe's clock was last synchronised; -1 when unknown. */
  lts: number;
}

export type ResultObject = Record<string, unknown>;

export type AddressFamily = 4 | 6;

export interface ResolvedTarget {
  af: AddressFamily;
  addr: string;
  /** The name as given, when it was a name rather than an address. */
  name: string;
}

/** A target name that did not resolve; its message is what RIPE results carry in `dnserr`. */
export class NameResolutionError extends Error {}

export function unixSeconds(ms = Date.now()): number {
  return Math.floor(ms / 1000);
}

/** Milliseconds since `startNs` (from `process.hrtime.bigint()`), three decimals as probes report them. */
export function elapsedMs(startNs: bigint): number {
  return roundMs(Number(process.hrtime.bigint() - startNs) / 1e6);
}

export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function requireTarget(definition: MeasurementDefinition): string {
  const target = definition.target;
  if (typeof target !== "string" || target === "") throw new Error("definition has no target");
  return target;
}

/** Resolves a measurement target in the requested family (`af`, default 4). */
export async function resolveTarget(target: string, af: AddressFamily | undefined): Promise<ResolvedTarget> {
  const literal = isIP(target);
  if (literal !== 0) return { af: literal as AddressFamily, addr: target, name: target };
  const family = af ?? 4;
  try {
    const { address } = await lookup(target, { family });
    return { af: family, addr: address, name: target };
  } catch (err) {
    throw new NameResolutionError(describeLookupError(err));
  }
}

function describeLookupError(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === "ENOTFOUND") return "non-recoverable failure in name resolution";
  if (code === "EAI_AGAIN") return "temporary failure in name resolution";
  if (code === "ENODATA") return "no address associated with name";
  return `name resolution failed: ${(err as Error).message}`;
}

/**
 * The local address the kernel picks to reach `addr`: connecting a UDP socket sends nothing but
 * runs the route lookup.
 */
export async function sourceAddressFor(addr: string, af: AddressFamily): Promise<string | undefined> {
  const socket = createSocket(af === 6 ? "udp6" : "udp4");
  try {
    return await new Promise<string | undefined>((resolve) => {
      socket.once("error", () => resolve(undefined));
      socket.connect(9, addr, () => resolve(socket.address().address));
    });
  } finally {
    socket.close();
  }
}

/** The fields every RIPE result carries, for a run that started at `startMs`. */
export function commonFields(
  type: string,
  ctx: MeasurementContext,
  startMs: number,
  target: { af?: AddressFamily; addr?: string; name: string; srcAddr?: string },
): ResultObject {
  const fields: ResultObject = {
    fw: ctx.firmware,
    mver: MEASUREMENT_VERSION,
    lts: ctx.lts,
    dst_name: target.name,
    msm_id: ctx.msmId,
    prb_id: ctx.prbId,
    timestamp: unixSeconds(startMs),
    type,
  };
  if (target.af !== undefined) fields.af = target.af;
  if (target.addr !== undefined) fields.dst_addr = target.addr;
  if (target.srcAddr !== undefined) fields.src_addr = target.srcAddr;
  const from = target.af === 6 ? ctx.publicAddress.v6 : ctx.publicAddress.v4;
  if (from !== undefined) fields.from = from;
  return fields;
}

/** Reads an integer option, falling back to RIPE's default and clamping to what a probe allows. */
export function intOption(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === "number" && Number.isFinite(value) ? Math.round(value) : fallback;
  return Math.min(max, Math.max(min, n));
}

/** Error text in the style of RIPE firmware, e.g. `connect: Connection refused`. */
export function describeSocketError(err: unknown): string {
  const code = (err as { code?: string }).code;
  const text: Record<string, string> = {
    ECONNREFUSED: "Connection refused",
    ECONNRESET: "Connection reset by peer",
    EHOSTUNREACH: "No route to host",
    ENETUNREACH: "Network is unreachable",
    ETIMEDOUT: "Connection timed out",
    EPIPE: "Broken pipe",
  };
  return (code && text[code]) ?? (err as Error).message;
}
