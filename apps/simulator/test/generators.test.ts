import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ProbeRegistration,
  RESULT_TYPES,
  ajv,
  validateResult,
  type AtlasResult,
  type DnsResult,
  type HttpResult,
  type NtpResult,
  type PingResult,
  type ResultType,
  type SslcertResult,
  type TracerouteResult,
} from "@probestream/types";
import {
  DEFAULT_MEASUREMENTS,
  Random,
  assignMeasurements,
  createProbeProfile,
  createProbeProfiles,
  generateResult,
  parseMeasurements,
  registrationOf,
  type Measurement,
} from "../src/index.js";

const COUNT = 200;
const NOW = Math.floor(Date.now() / 1000);
const TARGETS: Record<ResultType, string[]> = {
  ping: ["k.root-servers.net", "www.ripe.net", "target.example.org"],
  traceroute: ["www.ripe.net", "k.root-servers.net", "192.0.2.77"],
  dns: ["k.root-servers.net", "f.root-servers.net", "ns1.example.net"],
  sslcert: ["www.ripe.net", "www.google.com"],
  ntp: ["ntp.ripe.net", "time.cloudflare.com"],
  http: ["http://www.ripe.net/", "www.wikipedia.org"],
};

/** COUNT results of one type from many probes towards the type's targets. */
function generate<T extends AtlasResult>(type: ResultType, seed = 42): T[] {
  const random = new Random(seed);
  const probes = createProbeProfiles(40, 5000);
  return Array.from({ length: COUNT }, (_, index) => {
    const target = TARGETS[type][index % TARGETS[type].length] as string;
    const measurement: Measurement = { id: 2_000_000 + RESULT_TYPES.indexOf(type), type, target };
    return generateResult({ probe: random.pick(probes), measurement, timestamp: NOW, random }) as T;
  });
}

describe.each(RESULT_TYPES)("%s results", (type) => {
  it(`all ${COUNT} validate and carry modern-firmware fields`, () => {
    for (const result of generate(type)) {
      const validation = validateResult(result);
      expect(validation, JSON.stringify(result)).toMatchObject({ ok: true });
      expect(result).toMatchObject({ type, fw: 5020, timestamp: NOW, group_id: result.msm_id });
      expect(result.mver).toMatch(/^\d+\.\d+\.\d+$/);
      expect(result.lts).toBeGreaterThanOrEqual(0);
      expect(result.msm_name).toEqual(expect.any(String));
      expect(result.from).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    }
  });
});

describe("ping", () => {
  it("has min/avg/max and counts consistent with its packets", () => {
    const results = generate<PingResult>("ping");
    for (const result of results) {
      const packets = result.result ?? [];
      const rtts = packets.flatMap((packet) => ("rtt" in packet ? [packet.rtt] : []));
      expect(packets).toHaveLength(3);
      expect(result.sent).toBe(3);
      expect(result.rcvd).toBe(rtts.length);
      if (rtts.length === 0) {
        expect([result.min, result.avg, result.max]).toEqual([-1, -1, -1]);
        continue;
      }
      const mean = rtts.reduce((sum, rtt) => sum + rtt, 0) / rtts.length;
      expect(result.min).toBe(Math.min(...rtts));
      expect(result.max).toBe(Math.max(...rtts));
      expect(Math.abs((result.avg as number) - mean)).toBeLessThan(1e-5);
      expect(result.min as number).toBeGreaterThan(0);
    }
    expect(results.some((result) => result.result?.some((packet) => "x" in packet))).toBe(true);
  });

  it("keeps each probe's RTT to a target near its own typical value", () => {
    const probe = createProbeProfile(7);
    const random = new Random(1);
    const measurement: Measurement = { id: 1, type: "ping", target: "www.ripe.net" };
    const minima = Array.from({ length: 50 }, () => generateResult({ probe, measurement, timestamp: NOW, random }))
      .map((result) => (result as PingResult).min as number)
      .filter((min) => min > 0);
    expect(minima.length).toBeGreaterThan(0);
    expect(Math.max(...minima) / Math.min(...minima)).toBeLessThan(3);
  });
});

describe("traceroute", () => {
  it("numbers its hops, answers from routers and the target, with silent hops", () => {
    const results = generate<TracerouteResult>("traceroute");
    const addresses = new Set<string>();
    for (const result of results) {
      const hops = result.result ?? [];
      const numbers = hops.map((hop) => hop.hop);
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      for (const hop of hops) {
        expect("result" in hop && hop.result).toHaveLength(3);
        if (!("result" in hop)) continue;
        for (const reply of hop.result) if ("from" in reply) addresses.add(reply.from);
      }
      expect(result.endtime).toBeGreaterThanOrEqual(result.timestamp);
      const last = hops[hops.length - 1];
      const reached = last !== undefined && "result" in last && last.result.some((reply) => "from" in reply && reply.from === result.dst_addr);
      if (!reached) expect(last?.hop).toBe(255);
    }
    const all = [...addresses];
    expect(all.some((address) => /^(10\.|192\.168\.)/.test(address))).toBe(true);
    expect(all.some((address) => !/^(10\.|192\.168\.)/.test(address))).toBe(true);
    expect(results.some((result) => result.result?.some((hop) => "result" in hop && hop.result.every((reply) => "x" in reply)))).toBe(true);
  });
});

describe("dns", () => {
  it("carries an abuf that decodes to the answer its counts describe", () => {
    const results = generate<DnsResult>("dns");
    let answered = 0;
    for (const result of results) {
      if (!result.result) {
        expect(result.error?.timeout).toBeGreaterThan(0);
        continue;
      }
      answered++;
      const bytes = Buffer.from(result.result.abuf as string, "base64");
      const message = decodeDnsMessage(bytes);
      expect(bytes.length).toBe(result.result.size);
      expect(message.id).toBe(result.result.ID);
      expect(message.flags & 0x8000).toBe(0x8000);
      expect(message.counts).toEqual({
        qd: result.result.QDCOUNT,
        an: result.result.ANCOUNT,
        ns: result.result.NSCOUNT,
        ar: result.result.ARCOUNT,
      });
      expect(message.records.length).toBe(message.counts.an + message.counts.ns + message.counts.ar);
      const answers = message.records.slice(0, message.counts.an);
      expect(answers.length).toBeGreaterThan(0);
      if (result.dst_name?.endsWith("root-servers.net")) {
        expect(message.question).toEqual({ name: ".", type: 6 });
        expect(answers[0]).toMatchObject({ type: 6, name: "." });
      } else {
        expect(message.question).toEqual({ name: result.dst_name, type: 1 });
        expect(answers[0]).toMatchObject({ type: 1, name: result.dst_name, rdata: result.dst_addr });
      }
    }
    expect(answered).toBeGreaterThan(COUNT / 2);
  });
});

describe("sslcert", () => {
  it("presents a parseable PEM certificate and plausible timings", () => {
    for (const result of generate<SslcertResult>("sslcert")) {
      if (result.error) continue;
      const pem = result.cert?.[0] as string;
      expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----$/);
      expect(new X509Certificate(pem).subject).toContain("CN=www.example.net");
      expect(result.rt as number).toBeGreaterThan(result.ttc as number);
    }
  });
});

describe("ntp", () => {
  it("reports offsets and rtts that follow from its four timestamps", () => {
    for (const result of generate<NtpResult>("ntp")) {
      for (const packet of result.result ?? []) {
        if (!("offset" in packet)) continue;
        const t1 = packet["origin-ts"];
        const t2 = packet["receive-ts"];
        const t3 = packet["transmit-ts"];
        const t4 = packet["final-ts"];
        expect(Math.abs(packet.offset - (t2 - t1 + (t3 - t4)) / 2)).toBeLessThan(1e-5);
        expect(Math.abs(packet.rtt - (t4 - t1 - (t3 - t2)))).toBeLessThan(1e-5);
        expect(packet.rtt).toBeGreaterThan(0);
        // NTP timestamps count from 1900.
        expect(Math.abs(t1 - 2208988800 - NOW)).toBeLessThan(2);
      }
    }
  });
});

describe("http", () => {
  it("reports status, timing and sizes per request", () => {
    const results = generate<HttpResult>("http");
    for (const result of results) {
      expect(result.uri).toMatch(/^http:\/\/[^/]+\//);
      const requests = result.result as Exclude<HttpResult["result"], string | undefined>;
      expect(requests).toHaveLength(1);
      const request = requests[0]!;
      expect(request).toMatchObject({ af: 4, method: "GET" });
      if (request.err) continue;
      expect(request.res).toBeGreaterThanOrEqual(200);
      expect(request.rt).toBeGreaterThan(0);
      expect(request.hsize).toBeGreaterThan(0);
      expect(request.bsize).toBeGreaterThan(0);
    }
  });
});

describe("a measurement's options", () => {
  /** Options of each type as the controller passes them on, IPv6 included. */
  const OPTIONS: Record<ResultType, Record<string, unknown>> = {
    ping: { af: 6, packets: 7, size: 1000 },
    traceroute: { af: 6, protocol: "TCP", packets: 1, max_hops: 5, first_hop: 2, paris: 0 },
    dns: { af: 6, query_class: "CHAOS", query_type: "TXT", query_argument: "hostname.bind", protocol: "TCP", use_probe_resolver: true },
    sslcert: { af: 6, port: 993 },
    ntp: { af: 6, packets: 1 },
    http: { af: 6, method: "POST", path: "/x", query_string: "a=1", port: 8080, version: "1.0", header_bytes: 100 },
  };
  const dualStack = createProbeProfiles(40, 5000).filter((probe) => probe.addressV6);

  it.each(RESULT_TYPES)("%s results follow them and validate", (type) => {
    const random = new Random(7);
    const measurement: Measurement = { id: 30_000_000, type, target: "www.ripe.net", options: OPTIONS[type] };
    for (const probe of dualStack) {
      const result = generateResult({ probe, measurement, timestamp: NOW, random });
      expect(validateResult(result), JSON.stringify(result)).toMatchObject({ ok: true });
      expect(result.from).toBe(probe.addressV6);
    }
  });

  it("gives IPv6 to a share of the probes and keeps the rest IPv4-only", () => {
    expect(dualStack.length).toBeGreaterThan(10);
    expect(dualStack.length).toBeLessThan(40);
    const v4only = createProbeProfiles(40, 5000).find((probe) => !probe.addressV6)!;
    const result = generateResult({ probe: v4only, measurement: { id: 1, type: "ping", target: "www.ripe.net", options: { af: 6 } }, timestamp: NOW, random: new Random(1) });
    expect(result).toMatchObject({ af: 4, from: v4only.addressV4 });
  });
});

describe("probes", () => {
  it("are stable per id and register with valid metadata", () => {
    expect(createProbeProfile(1234)).toEqual(createProbeProfile(1234));
    const validate = ajv.compile(ProbeRegistration);
    for (const probe of createProbeProfiles(100, 1)) {
      expect(validate(registrationOf(probe)), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(new Set(createProbeProfiles(100, 1).map((probe) => probe.countryCode)).size).toBeGreaterThan(5);
  });

  it("include the anchors asked for, spread over the fleet's cities, registered as anchors", () => {
    const probes = createProbeProfiles(8200, 1_000_001, 119);
    const anchors = probes.filter((probe) => probe.isAnchor);
    expect(anchors).toHaveLength(119);
    expect(new Set(anchors.map((probe) => probe.city)).size).toBeGreaterThan(15);
    expect(registrationOf(anchors[0]!)).toMatchObject({ is_anchor: true });
    expect(registrationOf(probes.find((probe) => !probe.isAnchor)!)).not.toHaveProperty("is_anchor");
    expect(createProbeProfiles(3, 1, 10).every((probe) => probe.isAnchor)).toBe(true);
  });

  it("share the measurements out, every measurement to some probes", () => {
    const probes = createProbeProfiles(30, 100);
    const assignments = assignMeasurements(probes, DEFAULT_MEASUREMENTS);
    expect(assignments).toEqual(assignMeasurements(probes, DEFAULT_MEASUREMENTS));
    for (const measurement of DEFAULT_MEASUREMENTS) {
      const chosen = assignments.get(measurement.id) ?? [];
      expect(chosen.length).toBeGreaterThan(0);
      expect(chosen.length).toBeLessThan(probes.length);
    }
    expect(assignMeasurements(probes.slice(0, 1), DEFAULT_MEASUREMENTS).get(1791207)).toEqual([100]);
  });
});

describe("parseMeasurements", () => {
  it("reads id:type:target lists, URLs included", () => {
    expect(parseMeasurements("1:ping:k.root-servers.net, 2:http:http://www.ripe.net/")).toEqual([
      { id: 1, type: "ping", target: "k.root-servers.net" },
      { id: 2, type: "http", target: "http://www.ripe.net/" },
    ]);
    expect(() => parseMeasurements("3:whois:example.net")).toThrow(/unknown type/);
    expect(() => parseMeasurements("ping:example.net")).toThrow(/id:type:target/);
  });
});

interface DecodedRecord {
  name: string;
  type: number;
  rdata: string | null;
}

/** A strict DNS wire-format reader: every count is walked and the message must end exactly. */
function decodeDnsMessage(bytes: Buffer) {
  let offset = 0;
  const u16 = () => {
    if (offset + 2 > bytes.length) throw new Error("truncated");
    const value = bytes.readUInt16BE(offset);
    offset += 2;
    return value;
  };
  const readName = (start: number): { name: string; end: number } => {
    const labels: string[] = [];
    let position = start;
    let end = -1;
    for (let jumps = 0; jumps < 64; jumps++) {
      const length = bytes[position];
      if (length === undefined) throw new Error("name runs past the message");
      if ((length & 0xc0) === 0xc0) {
        if (end < 0) end = position + 2;
        position = bytes.readUInt16BE(position) & 0x3fff;
        continue;
      }
      if (length === 0) return { name: labels.length === 0 ? "." : labels.join("."), end: end < 0 ? position + 1 : end };
      labels.push(bytes.subarray(position + 1, position + 1 + length).toString("ascii"));
      position += 1 + length;
    }
    throw new Error("compression loop");
  };
  const id = u16();
  const flags = u16();
  const counts = { qd: u16(), an: u16(), ns: u16(), ar: u16() };
  const questionName = readName(offset);
  offset = questionName.end;
  const question = { name: questionName.name, type: u16() };
  u16();
  const records: DecodedRecord[] = [];
  for (let i = 0; i < counts.an + counts.ns + counts.ar; i++) {
    const name = readName(offset);
    offset = name.end;
    const type = u16();
    u16();
    offset += 4;
    const length = u16();
    if (offset + length > bytes.length) throw new Error("rdata runs past the message");
    const rdata = type === 1 ? [...bytes.subarray(offset, offset + 4)].join(".") : type === 2 ? readName(offset).name : null;
    records.push({ name: name.name, type, rdata });
    offset += length;
  }
  if (offset !== bytes.length) throw new Error(`${bytes.length - offset} bytes left over`);
  return { id, flags, counts, question, records };
}
