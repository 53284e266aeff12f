import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseHops } from "../src/measurements/traceroute.js";
import { readPcap, startCapture, TCPDUMP_PATH } from "../src/measurements/packet-capture.js";
import { addReplyDetails, captureFilter, sortCapture, type ProbeFlow } from "../src/measurements/traceroute-replies.js";

/**
 * Captures recorded with the agent's own filter beside the system traceroute (`traceroute -n -q 3 -m 5`
 * to loopback, `-q 2 -m 3` through the gateway 192.0.2.1), its stdout next to each.
 */
const FIXTURES = join(import.meta.dirname, "fixtures");
const UDP_PORTS = { first: 33434, last: 33449 };

async function hopsWithDetails(name: string, flow: ProbeFlow) {
  const hops = parseHops(await readFile(join(FIXTURES, `${name}.txt`), "utf8"));
  const { probes, replies } = sortCapture(readPcap(await readFile(join(FIXTURES, `${name}.pcap`))), flow);
  addReplyDetails(hops, probes, replies);
  return hops;
}

const loopback4 = { af: 4, srcAddr: "127.0.0.1", dstAddr: "127.0.0.1", ports: UDP_PORTS } as const;
const viaGateway = { af: 4, srcAddr: "192.0.2.2", dstAddr: "1.1.1.1", ports: UDP_PORTS } as const;

describe("traceroute replies from a packet capture", () => {
  it("UDP on loopback: each port unreachable quotes the whole 48-byte probe (20 + 8 + 48)", async () => {
    const hops = await hopsWithDetails("traceroute-udp-loopback", { ...loopback4, proto: "UDP" });
    const reply = { from: "127.0.0.1", ttl: 64, size: 76 };
    expect(hops).toMatchObject([{ hop: 1, result: [reply, reply, reply] }]);
  });

  it("UDP captured on `any` (Linux cooked v2 frames)", async () => {
    const hops = await hopsWithDetails("traceroute-udp-any", { ...loopback4, proto: "UDP" });
    const reply = { from: "127.0.0.1", ttl: 64, size: 76 };
    expect(hops).toMatchObject([{ hop: 1, result: [reply, reply] }]);
  });

  it("ICMP on loopback: an echo reply's size is its data (40 bytes after the 8-byte header)", async () => {
    const hops = await hopsWithDetails("traceroute-icmp-loopback", { ...loopback4, proto: "ICMP" });
    const reply = { from: "127.0.0.1", ttl: 64, size: 40 };
    expect(hops).toMatchObject([{ hop: 1, result: [reply, reply, reply] }]);
  });

  it("TCP over IPv6 on loopback: the RST answering each SYN", async () => {
    const hops = await hopsWithDetails("traceroute-tcp6-loopback", {
      af: 6,
      proto: "TCP",
      srcAddr: "::1",
      dstAddr: "::1",
      ports: { first: 9, last: 9 },
    });
    const reply = { from: "::1", ttl: 64, size: 20 };
    expect(hops).toMatchObject([{ hop: 1, result: [reply, reply, reply] }]);
  });

  it("time exceeded from routers: per-hop TTLs, a lost probe stays `*`", async () => {
    const icmp = await hopsWithDetails("traceroute-icmp-routers", { ...viaGateway, proto: "ICMP" });
    const gateway = { from: "192.0.2.1", ttl: 64, size: 68 };
    const next = { from: "21.4.3.151", ttl: 63, size: 68 };
    expect(icmp).toEqual([
      { hop: 1, result: [expect.objectContaining(gateway), expect.objectContaining(gateway)] },
      { hop: 2, result: [expect.objectContaining(next), expect.objectContaining(next)] },
      { hop: 3, result: [expect.objectContaining(next), expect.objectContaining(next)] },
    ]);

    const udp = await hopsWithDetails("traceroute-udp-routers", { ...viaGateway, proto: "UDP" });
    expect(udp[2]).toEqual({ hop: 3, result: [expect.objectContaining({ ...next, size: 76 }), { x: "*" }] });
    expect(udp[0]).toMatchObject({ hop: 1, result: [{ ...gateway, size: 76 }, { ...gateway, size: 76 }] });
  });

  it("a reply from another address than traceroute printed is not used", async () => {
    const hops = parseHops(" 1  127.0.0.2  0.040 ms\n");
    const datagrams = readPcap(await readFile(join(FIXTURES, "traceroute-udp-loopback.pcap")));
    const { probes, replies } = sortCapture(datagrams, { ...loopback4, proto: "UDP" });
    addReplyDetails(hops, probes, replies);
    expect(hops).toEqual([{ hop: 1, result: [{ from: "127.0.0.2", rtt: 0.04 }] }]);
  });

  it("packets of other flows are ignored", async () => {
    const datagrams = readPcap(await readFile(join(FIXTURES, "traceroute-udp-loopback.pcap")));
    expect(sortCapture(datagrams, { ...loopback4, dstAddr: "127.0.0.9", proto: "UDP" })).toEqual({ probes: [], replies: [] });
    expect(sortCapture(datagrams, { ...loopback4, proto: "ICMP" }).probes).toEqual([]);
  });

  it("a pcap cut short keeps the whole records before the cut", async () => {
    const bytes = await readFile(join(FIXTURES, "traceroute-udp-loopback.pcap"));
    const whole = readPcap(bytes);
    expect(readPcap(bytes.subarray(0, bytes.length - 10))).toHaveLength(whole.length - 1);
    expect(readPcap(bytes.subarray(0, 10))).toEqual([]);
    expect(() => readPcap(Buffer.alloc(24, 1))).toThrow(/pcap/);
  });

  it("every filter compiles", async () => {
    for (const proto of ["UDP", "ICMP", "TCP"] as const) {
      for (const flow of [viaGateway, { af: 6, srcAddr: "fd00::2", dstAddr: "2001:db8::1", ports: UDP_PORTS } as const]) {
        const filter = captureFilter({ ...flow, proto });
        const { stdout } = await promisify(execFile)(TCPDUMP_PATH, ["-d", "-i", "lo", filter]);
        expect(stdout, filter).toMatch(/ret\s+#262144/);
      }
    }
  });

  it("a capture that cannot start says why", async () => {
    const started = await startCapture("no-such-if0", "icmp", 5000);
    expect(started.ok).toBe(false);
    expect(!started.ok && started.reason).toMatch(/no-such-if0/);
  });
});
