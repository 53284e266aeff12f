import type { AtlasResult } from "@probestream/types";
import type { GeneratorContext } from "./context.js";
import { generateDns } from "./dns.js";
import { generateHttp } from "./http.js";
import { generateNtp } from "./ntp.js";
import { generatePing } from "./ping.js";
import { generateSslcert } from "./sslcert.js";
import { generateTraceroute } from "./traceroute.js";

export * from "./context.js";
export { encodeDnsMessage, type DnsMessage, type ResourceRecord } from "./dns-message.js";
export { generateDns, generateHttp, generateNtp, generatePing, generateSslcert, generateTraceroute };
export { SIMULATED_CERTIFICATE_PEM } from "./sslcert.js";
export { uriOf } from "./http.js";

const GENERATORS = {
  ping: generatePing,
  traceroute: generateTraceroute,
  dns: generateDns,
  sslcert: generateSslcert,
  ntp: generateNtp,
  http: generateHttp,
} satisfies Record<AtlasResult["type"], (context: GeneratorContext) => AtlasResult>;

/** One result of the measurement's type, as the probe would upload it. */
export function generateResult(context: GeneratorContext): AtlasResult {
  return GENERATORS[context.measurement.type](context);
}
