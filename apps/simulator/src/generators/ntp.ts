import type { NtpResult } from "@probestream/types";
import { sampleRtt } from "../paths.js";
import { Random, roundTo, seedOf } from "../random.js";
import { destinationFields, intOption, sceneOf, type GeneratorContext } from "./context.js";

/** Seconds from the NTP era (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2208988800;

interface ServerTraits {
  stratum: number;
  refId: string;
  precision: number;
  rootDelay: number;
  rootDispersion: number;
}

/** What a server says about itself does not change between queries. */
function serverTraits(name: string): ServerTraits {
  const random = new Random(seedOf("ntp-server", name));
  const stratum = random.chance(0.5) ? 1 : 2;
  return {
    stratum,
    refId: stratum === 1 ? random.pick(["GPS", "PPS", "GNSS"]) : `192.0.2.${random.int(1, 254)}`,
    precision: 2 ** -random.int(20, 25),
    rootDelay: stratum === 1 ? 0 : roundTo(random.between(0.001, 0.02), 6),
    rootDispersion: roundTo(random.between(0.0002, 0.02), 8),
  };
}

export function generateNtp(context: GeneratorContext): NtpResult {
  const { target, path } = sceneOf(context);
  const { random } = context;
  const server = serverTraits(target.name);
  // The probe's clock is kept close to true time; its error is the offset the server measures.
  const clockError = new Random(seedOf("clock", context.probe.prbId)).normal(0, 0.004);
  const startNtp = context.timestamp + random.next() + NTP_UNIX_OFFSET;

  const packets = Array.from({ length: intOption(context, "packets", 3, 1, 16) }, (_, index) => {
    if (!path.reachable || random.chance(path.loss)) return { x: "*" as const };
    const rtt = sampleRtt(path.rttMs, path, random) / 1000;
    const upShare = random.between(0.4, 0.6);
    const originTs = roundTo(startNtp + index * 0.02, 6);
    const receiveTs = roundTo(originTs - clockError + rtt * upShare, 6);
    const transmitTs = roundTo(receiveTs + random.between(0.00001, 0.00005), 6);
    const finalTs = roundTo(transmitTs + clockError + rtt * (1 - upShare), 6);
    return {
      "final-ts": finalTs,
      offset: roundTo((receiveTs - originTs + (transmitTs - finalTs)) / 2, 6),
      "origin-ts": originTs,
      "receive-ts": receiveTs,
      rtt: roundTo(finalTs - originTs - (transmitTs - receiveTs), 6),
      "transmit-ts": transmitTs,
    };
  });

  return {
    ...destinationFields(context, target),
    type: "ntp",
    proto: "UDP",
    li: "no",
    mode: "server",
    poll: 8,
    precision: server.precision,
    "ref-id": server.refId,
    "ref-ts": roundTo(startNtp - random.between(16, 1024), 6),
    "root-delay": server.rootDelay,
    "root-dispersion": server.rootDispersion,
    stratum: server.stratum,
    version: 4,
    result: packets,
  };
}
