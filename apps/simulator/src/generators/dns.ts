import type { DnsResult } from "@probestream/types";
import { sampleRtt } from "../paths.js";
import { Random, seedOf } from "../random.js";
import { ROOT_SERVER_NAMES, resolveTarget, type TargetHost } from "../targets.js";
import { destinationFields, flagOption, inFamily, intOption, sceneOf, textOption, type GeneratorContext } from "./context.js";
import {
  AUTHORITATIVE_RESPONSE_FLAGS,
  encodeDnsMessage,
  type DnsMessage,
  type DnsQuestion,
  type ResourceRecord,
} from "./dns-message.js";

/** How long the probe waits for an answer before it records `{"timeout": ms}`, unless the measurement says. */
const QUERY_TIMEOUT_MS = 5000;
const QUERY_TYPES = [
  "A", "AAAA", "ANY", "CNAME", "DNSKEY", "DS", "MX", "NS", "NSEC", "PTR", "RRSIG", "SOA", "TXT", "SRV", "NAPTR", "TLSA",
] as const satisfies readonly DnsQuestion["type"][];
/** QR, RD and RA: the answer of a recursive resolver to a query that asked for recursion. */
const RECURSIVE_RESPONSE_FLAGS = 0x8180;

/**
 * A query to the target server: the question the measurement defines (`query_argument`,
 * `query_type`, `query_class`), or without one the root zone's SOA when the target is a root
 * server (like the built-in Atlas measurements), otherwise the target's own A record. With
 * `use_probe_resolver` the probe's own resolver, on its home network, answers.
 */
export function generateDns(context: GeneratorContext): DnsResult {
  const resolver = flagOption(context, "use_probe_resolver");
  const asked = resolver ? { ...context, measurement: { ...context.measurement, target: `resolver.as${context.probe.asn}.example` } } : context;
  const { target, path } = sceneOf(asked);
  const { random } = context;
  const proto = textOption(context, "protocol", "UDP", ["UDP", "TCP"] as const);
  const fields = destinationFields(asked, target);
  const common = { ...fields, ...(resolver ? { dst_addr: inFamily(context, homeResolverOf(context)) } : {}), type: "dns" as const, proto };
  if (!path.reachable || random.chance(path.loss)) {
    return { ...common, error: { timeout: intOption(context, "timeout", QUERY_TIMEOUT_MS, 1) } };
  }

  const id = random.int(0, 0xffff);
  const message = context.measurement.options?.query_argument === undefined
    ? answerFrom(target, context.timestamp, id)
    : answerTo(questionOf(context), resolver, context.timestamp, id);
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

function questionOf(context: GeneratorContext): DnsQuestion {
  return {
    name: textOption(context, "query_argument", "."),
    type: textOption(context, "query_type", "A", QUERY_TYPES),
    class: textOption(context, "query_class", "IN", ["IN", "CHAOS"] as const),
  };
}

/** The probe's resolver: the gateway of its home network, or its ISP's when it has a public address. */
function homeResolverOf(context: GeneratorContext): string {
  const { srcAddrV4, addressV4 } = context.probe;
  return srcAddrV4 === addressV4 ? resolveTarget(`resolver.as${context.probe.asn}.example`).addressV4 : srcAddrV4.replace(/\.\d+$/, ".1");
}

/** The answer to a defined question: addresses and the root zone's SOA and NS as known, an empty answer (NODATA) otherwise. */
function answerTo(question: DnsQuestion, recursive: boolean, timestamp: number, id: number): DnsMessage {
  const name = question.name.replace(/\.$/, "") || ".";
  const base = { id, flags: recursive ? RECURSIVE_RESPONSE_FLAGS : AUTHORITATIVE_RESPONSE_FLAGS, question, additional: [], ednsUdpSize: 1232 };
  if (question.class === "CHAOS") return { ...base, answers: [], authority: [] };
  if (question.type === "A" && name !== ".") {
    const ttl = new Random(seedOf("ttl", name)).pick([60, 300, 600, 3600]);
    return { ...base, answers: [{ name, ttl, data: { type: "A", address: resolveTarget(name).addressV4 } }], authority: [] };
  }
  if (name === "." && question.type === "SOA") {
    return { ...base, answers: [{ name: ".", ttl: 86400, data: { type: "SOA", soa: rootSoa(timestamp) } }], authority: [] };
  }
  if (name === "." && question.type === "NS") {
    return { ...base, answers: ROOT_SERVER_NAMES.map((host): ResourceRecord => ({ name: ".", ttl: 518400, data: { type: "NS", host } })), authority: [] };
  }
  return { ...base, answers: [], authority: [] };
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
