import type { TSchema } from "typebox";
import { DnsResultSchema, type DnsResult } from "./dns.js";
import { HttpResultSchema, type HttpResult } from "./http.js";
import { NtpResultSchema, type NtpResult } from "./ntp.js";
import { PingResultSchema, type PingResult } from "./ping.js";
import { SslcertResultSchema, type SslcertResult } from "./sslcert.js";
import { TracerouteResultSchema, type TracerouteResult } from "./traceroute.js";

export * from "./common.js";
export * from "./dns.js";
export * from "./http.js";
export * from "./ntp.js";
export * from "./ping.js";
export * from "./sslcert.js";
export * from "./traceroute.js";

export const RESULT_TYPES = ["ping", "traceroute", "dns", "sslcert", "ntp", "http"] as const;

export type ResultType = (typeof RESULT_TYPES)[number];

export type AtlasResult =
  | PingResult
  | TracerouteResult
  | DnsResult
  | SslcertResult
  | NtpResult
  | HttpResult;

export const ResultSchemas = {
  ping: PingResultSchema,
  traceroute: TracerouteResultSchema,
  dns: DnsResultSchema,
  sslcert: SslcertResultSchema,
  ntp: NtpResultSchema,
  http: HttpResultSchema,
} as const satisfies Record<ResultType, TSchema>;

export function isResultType(value: unknown): value is ResultType {
  return typeof value === "string" && (RESULT_TYPES as readonly string[]).includes(value);
}
