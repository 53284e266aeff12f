import type { HttpResult } from "@probestream/types";
import { sampleRtt } from "../paths.js";
import { Random, roundTo, seedOf } from "../random.js";
import { hostOf } from "../targets.js";
import { probeFields, sceneOf, type GeneratorContext } from "./context.js";

/** Throughput of the probe's uplink for the response body, in bytes per millisecond. */
const BODY_BYTES_PER_MS = 2000;

/** The uri of the measurement: the target as given if it is a URL, else its root page. */
export function uriOf(target: string): string {
  return target.includes("://") ? target : `http://${hostOf(target)}/`;
}

/** A GET of the uri; like Atlas, the destination is reported per request, not at the top. */
export function generateHttp(context: GeneratorContext): HttpResult {
  const { target, path } = sceneOf(context);
  const { random, probe } = context;
  const request = { af: 4 as const, dst_addr: target.addressV4, method: "GET", src_addr: probe.srcAddrV4 };
  const uri = uriOf(context.measurement.target);
  const page = new Random(seedOf("page", uri));
  const headerSize = page.int(180, 640);
  const bodySize = page.int(900, 60000);

  const outcome = (() => {
    if (!path.reachable) return { err: "connect: Connection timed out" };
    if (random.chance(path.loss * 2)) return { err: "timeout reading chunk" };
    // A few responses come from an overloaded backend.
    const status = random.chance(0.01) ? 503 : 200;
    const bsize = status === 200 ? bodySize + random.int(-40, 40) : page.int(150, 400);
    const serverMs = random.exponential(page.between(4, 40));
    const rt = sampleRtt(path.rttMs, path, random) * 2 + serverMs + bsize / BODY_BYTES_PER_MS;
    return { bsize, hsize: headerSize, res: status, rt: roundTo(rt, 3), ver: "1.1" };
  })();

  return {
    ...probeFields(context),
    type: "http",
    uri,
    result: [{ ...request, ...outcome }],
  };
}
