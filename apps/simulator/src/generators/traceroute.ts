import type { TracerouteResult } from "@probestream/types";
import { sampleRtt, type Hop, type NetworkPath } from "../paths.js";
import type { Random } from "../random.js";
import { destinationFields, inFamily, intOption, sceneOf, textOption, type GeneratorContext } from "./context.js";

/** An ICMP time-exceeded reply quotes the 20-byte IP header and 8 bytes of the probe packet. */
const TIME_EXCEEDED_SIZE = 28;
/** Hops without any answer the probe tries past the last router before it gives up. */
const GAP_LIMIT = 3;
const PROTOCOLS = ["ICMP", "UDP", "TCP"] as const;
/** Seconds the probe waits for a hop that never answers. */
const HOP_TIMEOUT_S = 4;

type HopEntry = Extract<NonNullable<TracerouteResult["result"]>[number], { result: unknown }>;
type ReplyEntry = HopEntry["result"][number];

export function generateTraceroute(context: GeneratorContext): TracerouteResult {
  const { target, path } = sceneOf(context);
  const { random, measurement } = context;
  const packets = intOption(context, "packets", 3, 1, 16);
  const size = intOption(context, "size", 48, 0, 2048);
  const firstHop = intOption(context, "first_hop", 1, 1, 255);
  const maxHops = intOption(context, "max_hops", 32, 1, 255);
  // The last hop of the path is the target: an unreachable one is never answered.
  const routers = (path.reachable ? path.hops : path.hops.slice(0, -1)).slice(0, maxHops);
  const hops: HopEntry[] = routers
    .map((hop, index) => ({
      hop: index + 1,
      result: repliesFrom({ ...hop, address: hop.address && inFamily(context, hop.address) }, index === path.hops.length - 1, size, packets, path, random),
    }))
    .filter((entry) => entry.hop >= firstHop);
  // An unreachable target: silent hops up to the gap limit (within max_hops), then the give-up marker.
  if (!path.reachable && routers.length < maxHops) {
    const gaps = Math.min(GAP_LIMIT, maxHops - routers.length);
    for (let gap = 1; gap <= gaps; gap++) hops.push({ hop: routers.length + gap, result: silence(packets) });
    hops.push({ hop: 255, result: silence(packets) });
  }
  const silentHops = hops.filter((hop) => hop.result.every((reply) => "x" in reply)).length;
  return {
    ...destinationFields(context, target),
    type: "traceroute",
    // Without a protocol given, measurements keep one; which one follows from the id.
    proto: textOption(context, "protocol", measurement.id % 2 === 0 ? "ICMP" : "UDP", PROTOCOLS),
    // Paris traceroute cycles through its flow ids (16 by default; 0 turns it off), one per run.
    paris_id: parisId(intOption(context, "paris", 16, 0, 64), context.timestamp),
    size,
    endtime: context.timestamp + 1 + silentHops * HOP_TIMEOUT_S,
    result: hops,
  };
}

function parisId(paris: number, timestamp: number): number {
  return paris === 0 ? 0 : (Math.floor(timestamp / 900) % paris) + 1;
}

function repliesFrom(hop: Hop, isTarget: boolean, size: number, packets: number, path: NetworkPath, random: Random): ReplyEntry[] {
  const address = hop.address;
  if (address === null) return silence(packets);
  return Array.from({ length: packets }, () =>
    random.chance(path.loss)
      ? { x: "*" as const }
      : {
          from: address,
          rtt: sampleRtt(hop.rttMs, path, random),
          size: isTarget ? size : TIME_EXCEEDED_SIZE,
          ttl: hop.replyTtl,
        },
  );
}

function silence(packets: number): ReplyEntry[] {
  return Array.from({ length: packets }, () => ({ x: "*" as const }));
}
