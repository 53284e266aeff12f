import type { ResultType } from "@probestream/types";
import { pathBetween, type NetworkPath } from "../paths.js";
import type { ProbeProfile } from "../probes.js";
import type { Random } from "../random.js";
import { ipv6Twin } from "../ipv4.js";
import { hostOf, resolveTarget, type TargetHost } from "../targets.js";

/** A measurement the fleet runs: results of `type` towards `target` under `msm_id` = `id`. */
export interface Measurement {
  id: number;
  type: ResultType;
  target: string;
  /** The measurement's RIPE Atlas options (packets, size, protocol, query_type, port, ...), when the controller gave them. */
  options?: Readonly<Record<string, unknown>>;
}

/** Everything a generator needs to make one result. */
export interface GeneratorContext {
  probe: ProbeProfile;
  measurement: Measurement;
  /** Unix seconds when the measurement "ran". */
  timestamp: number;
  random: Random;
}

export const FIRMWARE = 5020;
const MEASUREMENT_CODE_VERSION = "2.6.2";

const MEASUREMENT_NAMES: Record<ResultType, string> = {
  ping: "Ping",
  traceroute: "Traceroute",
  dns: "Tdig",
  sslcert: "SSLCert",
  ntp: "Ntp",
  http: "HTTPGet",
};

export interface Scene {
  target: TargetHost;
  path: NetworkPath;
}

export function sceneOf(context: GeneratorContext): Scene {
  const target = resolveTarget(context.measurement.target);
  return { target, path: pathBetween(context.probe, target) };
}

/** Seconds since the probe last synchronised its clock with its controller. */
function lastTimeSync(context: GeneratorContext): number {
  return context.random.int(1, 240);
}

/** The address family the result is of: 6 when the measurement asks for it and the probe has IPv6. */
export function familyOf(context: GeneratorContext): 4 | 6 {
  return context.measurement.options?.af === 6 && context.probe.addressV6 ? 6 : 4;
}

/** An address of the simulated network in the result's family. */
export function inFamily(context: GeneratorContext, addressV4: string): string {
  return familyOf(context) === 6 ? ipv6Twin(addressV4) : addressV4;
}

/** The probe's own address and the one its measurements leave from, in the result's family. */
export function probeAddresses(context: GeneratorContext): { from: string; src: string } {
  const { probe } = context;
  if (familyOf(context) === 6 && probe.addressV6) return { from: probe.addressV6, src: probe.addressV6 };
  return { from: probe.addressV4, src: probe.srcAddrV4 };
}

/** Fields every result of firmware 5020 carries, except the per-type ones. */
export function probeFields(context: GeneratorContext) {
  return {
    fw: FIRMWARE,
    mver: MEASUREMENT_CODE_VERSION,
    lts: lastTimeSync(context),
    from: probeAddresses(context).from,
    msm_id: context.measurement.id,
    prb_id: context.probe.prbId,
    timestamp: context.timestamp,
    msm_name: MEASUREMENT_NAMES[context.measurement.type],
    group_id: context.measurement.id,
  };
}

/** `probeFields` plus the destination, for every type but http (which has it per request). */
export function destinationFields(context: GeneratorContext, target: TargetHost) {
  return {
    ...probeFields(context),
    af: familyOf(context),
    dst_addr: inFamily(context, target.addressV4),
    dst_name: hostOf(context.measurement.target),
    src_addr: probeAddresses(context).src,
  };
}

/** An integer option of the measurement within [min, max], or the fallback when absent or out of range. */
export function intOption(context: GeneratorContext, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = context.measurement.options?.[name];
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max ? value : fallback;
}

/** A text option of the measurement that is one of `allowed` (any non-empty text when `allowed` is omitted), or the fallback. */
export function textOption<T extends string>(context: GeneratorContext, name: string, fallback: T, allowed?: readonly T[]): T {
  const value = context.measurement.options?.[name];
  if (typeof value !== "string" || value === "") return fallback;
  if (allowed && !allowed.includes(value as T)) return fallback;
  return value as T;
}

export function flagOption(context: GeneratorContext, name: string): boolean {
  return context.measurement.options?.[name] === true;
}
