import type { PingResult } from "@probestream/types";
import { sampleRtt } from "../paths.js";
import { roundTo } from "../random.js";
import { destinationFields, sceneOf, type GeneratorContext } from "./context.js";

const PACKETS = 3;

export function generatePing(context: GeneratorContext): PingResult {
  const { target, path } = sceneOf(context);
  const { random } = context;
  const samples = Array.from({ length: PACKETS }, () =>
    !path.reachable || random.chance(path.loss) ? null : sampleRtt(path.rttMs, path, random),
  );
  const rtts = samples.filter((rtt) => rtt !== null);
  const received = rtts.length > 0;
  return {
    ...destinationFields(context, target),
    type: "ping",
    proto: "ICMP",
    size: 48,
    step: 240,
    ...(received ? { ttl: path.replyTtl } : {}),
    sent: PACKETS,
    rcvd: rtts.length,
    dup: 0,
    min: received ? Math.min(...rtts) : -1,
    avg: received ? roundTo(rtts.reduce((sum, rtt) => sum + rtt, 0) / rtts.length, 6) : -1,
    max: received ? Math.max(...rtts) : -1,
    result: samples.map((rtt) => (rtt === null ? { x: "*" as const } : { rtt })),
  };
}
