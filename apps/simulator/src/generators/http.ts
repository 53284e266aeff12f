import type { HttpResult } from "@probestream/types";
import { sampleRtt } from "../paths.js";
import { Random, roundTo, seedOf } from "../random.js";
import { hostOf } from "../targets.js";
import { familyOf, inFamily, intOption, probeAddresses, probeFields, sceneOf, textOption, type GeneratorContext } from "./context.js";

/** Throughput of the probe's uplink for the response body, in bytes per millisecond. */
const BODY_BYTES_PER_MS = 2000;

/** The uri of the measurement: the target as given if it is a URL, else its root page. */
export function uriOf(target: string): string {
  return target.includes("://") ? target : `http://${hostOf(target)}/`;
}

/** The uri a measurement's options ask for: its port, path and query string on the target host. */
function requestedUri(context: GeneratorContext): string {
  const options = context.measurement.options;
  if (!options || !["port", "path", "query_string"].some((name) => options[name] !== undefined)) return uriOf(context.measurement.target);
  const port = intOption(context, "port", 80, 1, 65535);
  const query = textOption<string>(context, "query_string", "");
  return `http://${hostOf(context.measurement.target)}${port === 80 ? "" : `:${port}`}${textOption<string>(context, "path", "/")}${query ? `?${query.replace(/^\?/, "")}` : ""}`;
}

/** One request to the uri; like Atlas, the destination is reported per request, not at the top. */
export function generateHttp(context: GeneratorContext): HttpResult {
  const { target, path } = sceneOf(context);
  const { random } = context;
  const method = textOption(context, "method", "GET", ["GET", "POST", "HEAD"] as const);
  const request = { af: familyOf(context), dst_addr: inFamily(context, target.addressV4), method, src_addr: probeAddresses(context).src };
  const uri = requestedUri(context);
  const version = textOption(context, "version", "1.1", ["1.0", "1.1"] as const);
  const headerBytes = intOption(context, "header_bytes", 0, 0, 2048);
  const page = new Random(seedOf("page", uri));
  const headerSize = page.int(180, 640);
  const bodySize = page.int(900, 60000);

  const outcome = (() => {
    if (!path.reachable) return { err: "connect: Connection timed out" };
    if (random.chance(path.loss * 2)) return { err: "timeout reading chunk" };
    // A few responses come from an overloaded backend.
    const status = random.chance(0.01) ? 503 : 200;
    const bsize = method === "HEAD" ? 0 : status === 200 ? bodySize + random.int(-40, 40) : page.int(150, 400);
    const serverMs = random.exponential(page.between(4, 40));
    const rt = sampleRtt(path.rttMs, path, random) * 2 + serverMs + bsize / BODY_BYTES_PER_MS;
    const header = headerBytes > 0 ? { header: [`HTTP/${version} ${status} ${status === 200 ? "OK" : "Service Unavailable"}`] } : {};
    return { bsize, hsize: headerSize, res: status, rt: roundTo(rt, 3), ver: version, ...header };
  })();

  return {
    ...probeFields(context),
    type: "http",
    uri,
    result: [{ ...request, ...outcome }],
  };
}
