import type { PingResult } from "@probestream/types";
import { sampleRtt } from "../paths.js";
import { roundTo } from "../random.js";
import { destinationFields, intOption, sceneOf, type GeneratorContext } from "./context.js";


export function generatePing(context: GeneratorContext): PingResult {
  const { target, path } = sceneOf(context);
  const { random } = context;
  const packets = intOption(context, "packets", 3, 1, 16);
  const samples = Array.from({ length: packets }, () =>
    !path.reachable || random.chance(path.loss) ? null : sampleRtt(path.rttMs, path, random),
  );
  const rtts = samples.filter((rtt) => rtt !== null);
  const received = rtts.length > 0;
  return {
    ...destinationFields(context, target),
    type: "ping",
    proto: "ICMP",
    size: intOption(context, "size", 48, 0, 2048),
    step: intOption(context, "interval", 240, 1),
    ...(received ? { ttl: path.replyTtl } : {}),
    sent: packets,
    rcvd: rtts.length,
    dup: 0,
    min: received ? Math.min(...rtts) : -1,
    avg: received ? roundTo(rtts.reduce((sum, rtt) => sum + rtt, 0) / rtts.length, 6) : -1,
    max: received ? Math.max(...rtts) : -1,
    result: samples.map((rtt) => (rtt === null ? { x: "*" as const } : { rtt })),
  };
}
