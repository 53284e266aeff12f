import type { MeasurementContext, MeasurementDefinition, ResultObject } from "./common.js";
import * as dns from "./dns.js";
import * as http from "./http.js";
import * as ntp from "./ntp.js";
import * as ping from "./ping.js";
import * as sslcert from "./sslcert.js";
import * as traceroute from "./traceroute.js";

export * from "./common.js";

export type MeasurementRunner = (definition: MeasurementDefinition, ctx: MeasurementContext) => Promise<ResultObject>;

/** The measurement types this probe runs, by RIPE type name. */
export const measurementRunners: Record<string, MeasurementRunner> = {
  ping: ping.run,
  traceroute: traceroute.run,
  dns: dns.run,
  sslcert: sslcert.run,
  ntp: ntp.run,
  http: http.run,
};
