import { isResultType } from "@probestream/types";
import type { Measurement } from "./generators/index.js";

/** The demo set: the ping id of the RIPE Atlas seed snippet plus one measurement of every other type. */
export const DEFAULT_MEASUREMENTS: readonly Measurement[] = [
  { id: 1791207, type: "ping", target: "k.root-servers.net" },
  { id: 1791208, type: "traceroute", target: "www.ripe.net" },
  { id: 1791209, type: "dns", target: "k.root-servers.net" },
  { id: 1791210, type: "sslcert", target: "www.ripe.net" },
  { id: 1791211, type: "ntp", target: "ntp.ripe.net" },
  { id: 1791212, type: "http", target: "http://www.ripe.net/" },
];

/** Parses `id:type:target,...`; the target is everything after the second colon (URLs welcome). */
export function parseMeasurements(spec: string): Measurement[] {
  return spec
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const match = /^(\d+):([a-z]+):(.+)$/.exec(entry);
      if (!match) throw new Error(`measurement "${entry}" is not id:type:target`);
      const [, id, type, target] = match as unknown as [string, string, string, string];
      if (!isResultType(type)) throw new Error(`measurement "${entry}": unknown type ${type}`);
      if (Number(id) < 1) throw new Error(`measurement "${entry}": id must be positive`);
      return { id: Number(id), type, target };
    });
}
