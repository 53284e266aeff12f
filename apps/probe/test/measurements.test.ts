import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { X509Certificate } from "node:crypto";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, encode, type Packet } from "dns-packet";
import { validateResult } from "@probestream/types";
import { measurementRunners, type MeasurementContext, type MeasurementDefinition, type ResultObject } from "../src/index.js";

const ctx: MeasurementContext = {
  msmId: 1001,
  prbId: 42,
  firmware: 5000,
  interval: 60,
  publicAddress: { v4: "192.0.2.200" },
  lts: -1,
};

async function measure(type: string, definition: MeasurementDefinition): Promise<ResultObject> {
  const result = await measurementRunners[type]!(definition, ctx);
  const validation = validateResult(result);
  expect(validation, JSON.stringify(result)).toEqual({ ok: true, result });
  expect(result).toMatchObject({ type, fw: 5000, mver: "1.0.0", msm_id: 1001, prb_id: 42, lts: -1 });
  expect(Math.abs((result.timestamp as number) - Date.now() / 1000)).toBeLessThan(30);
  return result;
}

function portOf(server: { address(): AddressInfo | string | null }): number {
  return (server.address() as AddressInfo).port;
}

const NAME = "probe-test.example";
const ANSWER_ADDRESS = "192.0.2.55";

/** A DNS server on loopback answering every A query with one record we choose; it remembers what it sent. */
function dnsAnswer(query: Buffer): Buffer {
  const question = decode(query).questions![0]!;
  const response: Packet = {
    type: "response",
    id: decode(query).id,
    flags: 0x8180,
    questions: [question],
    answers: [{ type: "A", class: "IN", name: question.name, ttl: 300, data: ANSWER_ADDRESS }],
  };
  return encode(response);
}

describe("measurements against loopback servers", () => {
  let tmp: string;
  let dnsUdp: UdpSocket;
  let dnsTcp: TcpServer;
  let silentUdp: UdpSocket;
  let tls: TlsServer;
  let certPem: string;
  let ntp: UdpSocket;
  let http: TcpServer;
  let closedPort: number;
  const dnsSent: Buffer[] = [];
  const HTTP_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nX-Probe-Test: yes\r\n\r\n";
  const NTP_SKEW_S = 10;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "probe-measurements-"));

    dnsUdp = createSocket("udp4");
    dnsUdp.on("message", (query, peer) => {
      const answer = dnsAnswer(query);
      dnsSent.push(answer);
      dnsUdp.send(answer, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => dnsUdp.bind(0, "127.0.0.1", resolve));

    dnsTcp = createTcpServer((socket) => {
      let buffered = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
        const answer = dnsAnswer(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        dnsSent.push(answer);
        const length = Buffer.alloc(2);
        length.writeUInt16BE(answer.length);
        socket.end(Buffer.concat([length, answer]));
      });
    });
    await new Promise<void>((resolve) => dnsTcp.listen(0, "127.0.0.1", resolve));

    // Bound but never answering: queries to it time out.
    silentUdp = createSocket("udp4");
    await new Promise<void>((resolve) => silentUdp.bind(0, "127.0.0.1", resolve));

    const run = promisify(execFile);
    await run("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=probe-test.example",
      "-keyout", join(tmp, "key.pem"), "-out", join(tmp, "cert.pem"),
    ]);
    certPem = (await readFile(join(tmp, "cert.pem"), "utf8")).trim();
    tls = createTlsServer({ key: await readFile(join(tmp, "key.pem")), cert: certPem }, (socket) => socket.end());
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));

    ntp = createSocket("udp4");
    ntp.on("message", (request, peer) => {
      const now = Date.now() / 1000 + 2_208_988_800 + NTP_SKEW_S;
      const reply = Buffer.alloc(48);
      reply[0] = (0 << 6) | (4 << 3) | 4; // no leap warning, version 4, server
      reply[1] = 1; // stratum
      reply[2] = 4; // poll 2^4 s
      reply.writeInt8(-20, 3); // precision 2^-20 s
      reply.write("GPS\0", 12, "ascii");
      writeNtp(reply, 16, now - 30);
      request.copy(reply, 24, 40, 48); // origin = the client's transmit time
      writeNtp(reply, 32, now);
      writeNtp(reply, 40, now);
      ntp.send(reply, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => ntp.bind(0, "127.0.0.1", resolve));

    http = createTcpServer((socket) => {
      socket.once("data", () => socket.end(`${HTTP_HEAD}hello world`));
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));

    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    closedPort = portOf(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  afterAll(async () => {
    dnsUdp?.close();
    silentUdp?.close();
    ntp?.close();
    await Promise.all([dnsTcp, tls, http].map((server) => new Promise((resolve) => server?.close(resolve))));
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  for (const protocol of ["UDP", "TCP"] as const) {
    it(`dns over ${protocol}: abuf is exactly the server's answer`, async () => {
      const before = dnsSent.length;
      const result = await measure("dns", {
        target: "127.0.0.1",
        port: protocol === "UDP" ? portOf(dnsUdp) : portOf(dnsTcp),
        protocol,
        query_class: "IN",
        query_type: "A",
        query_argument: NAME,
        set_rd_bit: true,
      });
      expect(dnsSent.length).toBe(before + 1);
      const sent = dnsSent[before]!;
      const answer = result.result as Record<string, unknown>;
      expect(Buffer.from(answer.abuf as string, "base64").equals(sent)).toBe(true);
      const decoded = decode(sent);
      expect(decoded.answers).toEqual([expect.objectContaining({ type: "A", name: NAME, data: ANSWER_ADDRESS })]);
      expect(answer).toMatchObject({ ANCOUNT: 1, QDCOUNT: 1, NSCOUNT: 0, ARCOUNT: 0, ID: decoded.id, size: sent.length });
      expect(answer.rt).toBeGreaterThan(0);
      expect(result).toMatchObject({ proto: protocol, af: 4, dst_addr: "127.0.0.1", src_addr: "127.0.0.1", from: "192.0.2.200" });
    });
  }

  it("dns: no answer is a timeout result, a closed TCP port a socket error", async () => {
    const timedOut = await measure("dns", { target: "127.0.0.1", port: portOf(silentUdp), query_argument: NAME, timeout: 500 });
    expect(timedOut.error).toEqual({ timeout: 500 });
    expect(timedOut.result).toBeUndefined();
    const refused = await measure("dns", { target: "127.0.0.1", port: closedPort, protocol: "TCP", query_argument: NAME });
    expect((refused.error as { socket: string }).socket).toMatch(/Connection refused/);
    const unresolvable = await measure("dns", { target: "no-such-host.invalid", query_argument: NAME });
    expect((unresolvable.error as { getaddrinfo: string }).getaddrinfo).toBeTruthy();
  });

  it("sslcert: records the test certificate", async () => {
    const result = await measure("sslcert", { target: "127.0.0.1", port: portOf(tls), hostname: "probe-test.example" });
    expect(result).toMatchObject({ method: "TLS", dst_port: portOf(tls), dst_addr: "127.0.0.1", src_addr: "127.0.0.1" });
    expect(["1.2", "1.3"]).toContain(result.ver);
    const cert = result.cert as string[];
    expect(cert).toHaveLength(1);
    expect(cert[0]).toBe(certPem);
    expect(new X509Certificate(cert[0]!).fingerprint256).toBe(new X509Certificate(certPem).fingerprint256);
    expect(result.ttc as number).toBeGreaterThan(0);
    expect(result.rt as number).toBeGreaterThanOrEqual(result.ttc as number);
  });

  it("sslcert: a refused connection is an error result", async () => {
    const result = await measure("sslcert", { target: "127.0.0.1", port: closedPort });
    expect(result.error).toBe("connect: Connection refused");
    expect(result.cert).toBeUndefined();
  });

  it("ntp: offset, rtt, stratum and ref-id from the responder", async () => {
    const result = await measure("ntp", { target: "127.0.0.1", port: portOf(ntp), packets: 3 });
    expect(result).toMatchObject({ proto: "UDP", stratum: 1, "ref-id": "GPS", version: 4, mode: "server", li: "no", poll: 16 });
    expect(result.precision).toBeCloseTo(2 ** -20, 12);
    const packets = result.result as Record<string, number>[];
    expect(packets).toHaveLength(3);
    for (const packet of packets) {
      expect(packet.offset).toBeGreaterThan(NTP_SKEW_S - 0.5);
      expect(packet.offset).toBeLessThan(NTP_SKEW_S + 0.5);
      expect(packet.rtt).toBeGreaterThanOrEqual(0);
      expect(packet.rtt).toBeLessThan(0.5);
      expect(packet["final-ts"]).toBeGreaterThanOrEqual(packet["origin-ts"]!);
    }
  });

  it("ntp: an unanswered packet is {x: '*'}", async () => {
    const result = await measure("ntp", { target: "127.0.0.1", port: portOf(silentUdp), packets: 2, timeout: 300 });
    expect(result.result).toEqual([{ x: "*" }, { x: "*" }]);
  });

  it("http: status, header and body sizes, version", async () => {
    const result = await measure("http", { target: "127.0.0.1", port: portOf(http), path: "/status", header_bytes: 1024 });
    expect(result.uri).toBe(`http://127.0.0.1:${portOf(http)}/status`);
    const [entry] = result.result as Record<string, unknown>[];
    expect(entry).toMatchObject({
      af: 4,
      dst_addr: "127.0.0.1",
      src_addr: "127.0.0.1",
      method: "GET",
      res: 200,
      ver: "1.1",
      hsize: Buffer.byteLength(HTTP_HEAD),
      bsize: 11,
    });
    expect(entry!.header).toEqual(["HTTP/1.1 200 OK", "Content-Type: text/plain", "Content-Length: 11", "X-Probe-Test: yes"]);
    expect(entry!.rt as number).toBeGreaterThan(0);
  });

  it("http: refused and unresolvable are error results", async () => {
    const refused = await measure("http", { target: "127.0.0.1", port: closedPort });
    expect((refused.result as Record<string, unknown>[])[0]).toMatchObject({ err: "connect: Connection refused", method: "GET" });
    const unresolvable = await measure("http", { target: "no-such-host.invalid" });
    expect((unresolvable.result as Record<string, unknown>[])[0]!.dnserr).toBeTruthy();
  });

  it("ping 127.0.0.1 with the system ping", async () => {
    const result = await measure("ping", { target: "127.0.0.1", packets: 3, packet_interval: 200, size: 32 });
    expect(result).toMatchObject({ proto: "ICMP", sent: 3, rcvd: 3, dup: 0, ttl: 64, size: 32, step: 60, dst_addr: "127.0.0.1" });
    const packets = result.result as { rtt: number }[];
    expect(packets).toHaveLength(3);
    for (const packet of packets) expect(packet.rtt).toBeGreaterThan(0);
    const rtts = packets.map((packet) => packet.rtt);
    expect(result.min).toBe(Math.min(...rtts));
    expect(result.max).toBe(Math.max(...rtts));
  });

  it("ping: an unresolvable name is a dnserr result", async () => {
    const result = await measure("ping", { target: "no-such-host.invalid" });
    expect(result.dnserr).toBeTruthy();
  });

  // Replies are captured beside traceroute (the tests run as root): loopback answers keep TTL 64.
  // UDP: the port unreachable quotes the whole probe (20 + 8 + 48); ICMP: the echo reply's data
  // (48 - 8); TCP: the RST's bare 20-byte header.
  const replySize = { UDP: 76, ICMP: 40, TCP: 20 };
  for (const protocol of ["UDP", "ICMP", "TCP"] as const) {
    it(`traceroute (${protocol}) to 127.0.0.1 with the system traceroute`, async () => {
      const result = await measure("traceroute", {
        target: "127.0.0.1",
        protocol,
        port: closedPort,
        packets: 3,
        max_hops: 5,
        timeout: 1000,
      });
      expect(result).toMatchObject({ proto: protocol, dst_addr: "127.0.0.1", src_addr: "127.0.0.1" });
      const hops = result.result as { hop: number; result: { from: string; rtt: number; ttl: number; size: number }[] }[];
      expect(hops).toHaveLength(1);
      expect(hops[0]!.hop).toBe(1);
      expect(hops[0]!.result).toHaveLength(3);
      for (const reply of hops[0]!.result) {
        expect(reply.from).toBe("127.0.0.1");
        expect(reply.rtt).toBeGreaterThanOrEqual(0);
        expect(reply.ttl).toBe(64);
        expect(reply.size).toBe(replySize[protocol]);
      }
      expect(result.endtime as number).toBeGreaterThanOrEqual(result.timestamp as number);
    });
  }
});

function writeNtp(buf: Buffer, offset: number, value: number): void {
  const seconds = Math.floor(value);
  buf.writeUInt32BE(seconds >>> 0, offset);
  buf.writeUInt32BE(Math.floor((value - seconds) * 2 ** 32) >>> 0, offset + 4);
}
