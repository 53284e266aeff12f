import type { TracerouteResult } from "@probestream/types";
import { sampleRtt, type Hop, type NetworkPath } from "../paths.js";
import type { Random } from "../random.js";
import { destinationFields, sceneOf, type GeneratorContext } from "./context.js";

const PACKETS_PER_HOP = 3;
const PACKET_SIZE = 48;
/** An ICMP time-exceeded reply quotes the 20-byte IP header and 8 bytes of the probe packet. */
const TIME_EXCEEDED_SIZE = 28;
/** Hops without any answer the probe tries past the last router before it gives up. */
const GAP_LIMIT = 3;
/** Seconds the probe waits for a hop that never answers. */
const HOP_TIMEOUT_S = 4;

type HopEntry = Extract<NonNullable<TracerouteResult["result"]>[number], { result: unknown }>;
type ReplyEntry = HopEntry["result"][number];

export function generateTraceroute(context: GeneratorContext): TracerouteResult {
  const { target, path } = sceneOf(context);
  const { random, measurement } = context;
  // The last hop of the path is the target: an unreachable one is never answered.
  const routers = path.reachable ? path.hops : path.hops.slice(0, -1);
  const hops: HopEntry[] = routers.map((hop, index) => ({
    hop: index + 1,
    result: repliesFrom(hop, index === path.hops.length - 1, path, random),
  }));
  if (!path.reachable) {
    for (let gap = 1; gap <= GAP_LIMIT; gap++) hops.push({ hop: routers.length + gap, result: silence() });
    hops.push({ hop: 255, result: silence() });
  }
  const silentHops = hops.filter((hop) => hop.result.every((reply) => "x" in reply)).length;
  return {
    ...destinationFields(context, target),
    type: "traceroute",
    // Measurements keep one protocol; which one follows from the id.
    proto: measurement.id % 2 === 0 ? "ICMP" : "UDP",
    // Paris traceroute cycles through 16 flow ids, one per run.
    paris_id: (Math.floor(context.timestamp / 900) % 16) + 1,
    size: PACKET_SIZE,
    endtime: context.timestamp + 1 + silentHops * HOP_TIMEOUT_S,
    result: hops,
  };
}

function repliesFrom(hop: Hop, isTarget: boolean, path: NetworkPath, random: Random): ReplyEntry[] {
  const address = hop.address;
  if (address === null) return silence();
  return Array.from({ length: PACKETS_PER_HOP }, () =>
    random.chance(path.loss)
      ? { x: "*" as const }
      : {
          from: address,
          rtt: sampleRtt(hop.rttMs, path, random),
          size: isTarget ? PACKET_SIZE : TIME_EXCEEDED_SIZE,
          ttl: hop.replyTtl,
        },
  );
}

function silence(): ReplyEntry[] {
  return Array.from({ length: PACKETS_PER_HOP }, () => ({ x: "*" as const }));
}
