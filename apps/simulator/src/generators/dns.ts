import type { DnsResult } from "@probestream/types";
import { sampleRtt } from "../paths.js";
import { Random, seedOf } from "../random.js";
import { ROOT_SERVER_NAMES, type TargetHost } from "../targets.js";
import { destinationFields, sceneOf, type GeneratorContext } from "./context.js";
import {
  AUTHORITATIVE_RESPONSE_FLAGS,
  encodeDnsMessage,
  type DnsMessage,
  type ResourceRecord,
} from "./dns-message.js";

/** How long the probe waits for an answer before it records `{"timeout": ms}`. */
const QUERY_TIMEOUT_MS = 5000;

/**
 * A query to the target server: the root zone's SOA when the target is a root server (like the
 * built-in Atlas measurements), otherwise the target's own A record.
 */
export function generateDns(context: GeneratorContext): DnsResult {
  const { target, path } = sceneOf(context);
  const { random } = context;
  const common = { ...destinationFields(context, target), type: "dns" as const, proto: "UDP" as const };
  if (!path.reachable || random.chance(path.loss)) return { ...common, error: { timeout: QUERY_TIMEOUT_MS } };

  const message = answerFrom(target, context.timestamp, random.int(0, 0xffff));
  const abuf = encodeDnsMessage(message);
  return {
    ...common,
    result: {
      ANCOUNT: message.answers.length,
      ARCOUNT: message.additional.length + (message.ednsUdpSize === undefined ? 0 : 1),
      ID: message.id,
      NSCOUNT: message.authority.length,
      QDCOUNT: 1,
      abuf: abuf.toString("base64"),
      rt: sampleRtt(path.rttMs, path, random),
      size: abuf.length,
    },
  };
}

function answerFrom(target: TargetHost, timestamp: number, id: number): DnsMessage {
  const base = { id, flags: AUTHORITATIVE_RESPONSE_FLAGS, additional: [], ednsUdpSize: 1232 };
  if (ROOT_SERVER_NAMES.includes(target.name)) {
    return {
      ...base,
      question: { name: ".", type: "SOA" },
      answers: [{ name: ".", ttl: 86400, data: { type: "SOA", soa: rootSoa(timestamp) } }],
      authority: ROOT_SERVER_NAMES.map(
        (host): ResourceRecord => ({ name: ".", ttl: 518400, data: { type: "NS", host } }),
      ),
    };
  }
  const ttl = new Random(seedOf("ttl", target.name)).pick([60, 300, 600, 3600]);
  return {
    ...base,
    question: { name: target.name, type: "A" },
    answers: [{ name: target.name, ttl, data: { type: "A", address: target.addressV4 } }],
    authority: [],
  };
}

/** The root zone's SOA as published on the day: its serial is YYYYMMDDnn. */
function rootSoa(timestamp: number) {
  const day = new Date(timestamp * 1000).toISOString().slice(0, 10).replaceAll("-", "");
  return {
    mname: "a.root-servers.net",
    rname: "nstld.verisign-grs.com",
    serial: Number(day) * 100 + (Math.floor(timestamp / 43200) % 2),
    refresh: 1800,
    retry: 900,
    expire: 604800,
    minimum: 86400,
  };
}
