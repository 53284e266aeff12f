import type { ResultObject } from "./common.js";

export type TracerouteProtocol = "UDP" | "ICMP" | "TCP";

/** What a traceroute run sends to whom, as the capture needs to know it. */
export interface ProbeFlow {
  af: 4 | 6;
  proto: TracerouteProtocol;
  srcAddr: string;
  dstAddr: string;
  /** The destination ports the probes may use (UDP, TCP); one port when it is fixed. */
  ports: { first: number; last: number };
}

/** A probe seen leaving: its IP TTL (the hop it probes) and what identifies it in a reply. */
export interface SentProbe {
  key: string;
  ttl: number;
}

/**
 * A reply seen arriving. `ttl` is its IP TTL (hop limit) as received; `size` is RIPE's: the bytes of
 * the ICMP message after its 8-byte header (fixtures since fw 4570: 28 for a time exceeded quoting
 * the 20+8 byte headers, 68 when it quotes a whole 40-byte UDP probe; IPv6 96 = 40+8+48), and for a
 * TCP answer the TCP segment length.
 */
export interface ReceivedReply {
  key: string;
  from: string;
  ttl: number;
  size: number;
}

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ICMPV6 = 58;
/** IPv6 extension headers skipped on the way to the upper layer: hop-by-hop, routing, destination options. */
const IPV6_OPTION_HEADERS = [0, 43, 60];
const IPV6_FRAGMENT = 44;

const ICMP4_ERRORS = [3, 11];
const ICMP4_ECHO_REQUEST = 8;
const ICMP4_ECHO_REPLY = 0;
const ICMP6_ERRORS = [1, 2, 3];
const ICMP6_ECHO_REQUEST = 128;
const ICMP6_ECHO_REPLY = 129;

const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

/** A BPF filter for the flow's probes leaving and the replies to them coming back, and nothing else. */
export function captureFilter(flow: ProbeFlow): string {
  const { srcAddr: src, dstAddr: dst } = flow;
  const v6 = flow.af === 6;
  const ports = flow.ports.first === flow.ports.last ? `port ${flow.ports.first}` : `portrange ${flow.ports.first}-${flow.ports.last}`;
  // BPF cannot walk IPv6 extension headers (nor index icmp6[] or tcp[] over IPv6): the ICMPv6 type
  // and the TCP flags are read at their place right after the fixed header.
  const icmpType = (types: number[]): string =>
    v6
      ? `(icmp6 and (${types.map((t) => `ip6[40] == ${t}`).join(" or ")}))`
      : `(icmp and (${types.map((t) => `icmp[0] == ${t}`).join(" or ")}))`;
  const probe =
    flow.proto === "UDP"
      ? `udp dst ${ports}`
      : flow.proto === "ICMP"
        ? icmpType([v6 ? ICMP6_ECHO_REQUEST : ICMP4_ECHO_REQUEST])
        : `tcp dst ${ports} and ${v6 ? "ip6[53]" : "tcp[13]"} & ${TCP_SYN | TCP_ACK} == ${TCP_SYN}`;
  const errors = icmpType(v6 ? ICMP6_ERRORS : ICMP4_ERRORS);
  const answer =
    flow.proto === "ICMP"
      ? ` or (src host ${dst} and ${icmpType([v6 ? ICMP6_ECHO_REPLY : ICMP4_ECHO_REPLY])})`
      : flow.proto === "TCP"
        ? ` or (src host ${dst} and tcp src ${ports})`
        : "";
  return `(src host ${src} and dst host ${dst} and ${probe}) or (dst host ${src} and (${errors}${answer}))`;
}

interface IpPacket {
  src: string;
  dst: string;
  ttl: number;
  protocol: number;
  /** The upper-layer bytes as captured (maybe cut short by the snap length). */
  payload: Uint8Array;
  /** The upper-layer length the IP header announces. */
  payloadLength: number;
}

/** Sorts captured IP datagrams into the flow's probes and the replies to them; anything else is dropped. */
export function sortCapture(datagrams: Uint8Array[], flow: ProbeFlow): { probes: SentProbe[]; replies: ReceivedReply[] } {
  const probes: SentProbe[] = [];
  const replies: ReceivedReply[] = [];
  for (const datagram of datagrams) {
    const packet = parseIp(datagram);
    if (!packet) continue;
    const probeKey = packet.src === flow.srcAddr && packet.dst === flow.dstAddr ? keyOfProbe(packet, flow) : undefined;
    if (probeKey) {
      probes.push({ key: probeKey, ttl: packet.ttl });
      continue;
    }
    if (packet.dst !== flow.srcAddr) continue;
    const replyKey = keyOfReply(packet, flow);
    if (replyKey) replies.push({ key: replyKey, from: packet.src, ttl: packet.ttl, size: replySize(packet) });
  }
  return { probes, replies };
}

/**
 * Adds `ttl` and `size` to the parsed hops' replies. The n-th entry of hop h answers the n-th probe
 * sent with TTL h; a reply is only taken when its source is the address traceroute printed.
 */
export function addReplyDetails(hops: ResultObject[], probes: SentProbe[], replies: ReceivedReply[]): void {
  const probesByTtl = new Map<number, SentProbe[]>();
  const seen = new Set<string>();
  for (const probe of probes) {
    // Capturing on `any` shows loopback packets twice.
    if (seen.has(probe.key)) continue;
    seen.add(probe.key);
    const atTtl = probesByTtl.get(probe.ttl) ?? [];
    atTtl.push(probe);
    probesByTtl.set(probe.ttl, atTtl);
  }
  const replyByKey = new Map<string, ReceivedReply>();
  for (const reply of replies) if (!replyByKey.has(reply.key)) replyByKey.set(reply.key, reply);

  for (const hop of hops) {
    if (!Array.isArray(hop.result)) continue;
    const sent = probesByTtl.get(hop.hop as number) ?? [];
    (hop.result as ResultObject[]).forEach((entry, index) => {
      const probe = sent[index];
      const reply = probe && replyByKey.get(probe.key);
      if (!reply || entry.from !== reply.from) return;
      entry.size = reply.size;
      entry.ttl = reply.ttl;
    });
  }
}

function keyOfProbe(packet: IpPacket, flow: ProbeFlow): string | undefined {
  const { payload: p, protocol } = packet;
  if (flow.proto === "UDP" && protocol === IPPROTO_UDP && p.length >= 4) return udpKey(p);
  if (flow.proto === "ICMP" && protocol === icmpProtocol(flow) && p.length >= 8 && p[0] === echoRequest(flow)) return echoKey(p);
  // An ICMP error may quote only the first 8 bytes of TCP: ports and sequence number, no flags.
  if (flow.proto === "TCP" && protocol === IPPROTO_TCP && p.length >= 8 && (p.length < 14 || (p[13]! & (TCP_SYN | TCP_ACK)) === TCP_SYN)) {
    return tcpKey(p);
  }
  return undefined;
}

function keyOfReply(packet: IpPacket, flow: ProbeFlow): string | undefined {
  const { payload: p, protocol } = packet;
  if (protocol === icmpProtocol(flow) && p.length >= 8) {
    const type = p[0]!;
    if (flow.proto === "ICMP" && type === (flow.af === 6 ? ICMP6_ECHO_REPLY : ICMP4_ECHO_REPLY)) {
      return packet.src === flow.dstAddr ? echoKey(p) : undefined;
    }
    if (!(flow.af === 6 ? ICMP6_ERRORS : ICMP4_ERRORS).includes(type)) return undefined;
    const quoted = parseIp(p.subarray(8));
    return quoted && quoted.dst === flow.dstAddr ? keyOfProbe(quoted, flow) : undefined;
  }
  if (flow.proto === "TCP" && protocol === IPPROTO_TCP && packet.src === flow.dstAddr && p.length >= 14) {
    const flags = p[13]!;
    const answersSyn = (flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) || (flags & TCP_RST) !== 0;
    // Both a SYN-ACK and the RST of a closed port acknowledge the probe's sequence number + 1.
    if (answersSyn && (flags & TCP_ACK) !== 0) return `tcp/${u16(p, 2)}/${u16(p, 0)}/${(u32(p, 8) - 1) >>> 0}`;
  }
  return undefined;
}

function replySize(packet: IpPacket): number {
  return packet.protocol === IPPROTO_TCP ? packet.payloadLength : Math.max(0, packet.payloadLength - 8);
}

function udpKey(p: Uint8Array): string {
  return `udp/${u16(p, 0)}/${u16(p, 2)}`;
}

function echoKey(p: Uint8Array): string {
  return `icmp/${u16(p, 4)}/${u16(p, 6)}`;
}

function tcpKey(p: Uint8Array): string {
  return `tcp/${u16(p, 0)}/${u16(p, 2)}/${u32(p, 4)}`;
}

function icmpProtocol(flow: ProbeFlow): number {
  return flow.af === 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
}

function echoRequest(flow: ProbeFlow): number {
  return flow.af === 6 ? ICMP6_ECHO_REQUEST : ICMP4_ECHO_REQUEST;
}

/** The IP header of a datagram (or of the datagram an ICMP error quotes); undefined if it is neither v4 nor v6. */
function parseIp(bytes: Uint8Array): IpPacket | undefined {
  const version = bytes.length > 0 ? bytes[0]! >> 4 : 0;
  if (version === 4 && bytes.length >= 20) {
    const headerLength = (bytes[0]! & 0x0f) * 4;
    return {
      src: bytes.subarray(12, 16).join("."),
      dst: bytes.subarray(16, 20).join("."),
      ttl: bytes[8]!,
      protocol: bytes[9]!,
      payload: bytes.subarray(headerLength),
      payloadLength: u16(bytes, 2) - headerLength,
    };
  }
  if (version === 6 && bytes.length >= 40) {
    let protocol = bytes[6]!;
    let offset = 40;
    while ((IPV6_OPTION_HEADERS.includes(protocol) || protocol === IPV6_FRAGMENT) && offset + 8 <= bytes.length) {
      const length = protocol === IPV6_FRAGMENT ? 8 : (bytes[offset + 1]! + 1) * 8;
      protocol = bytes[offset]!;
      offset += length;
    }
    return {
      src: ipv6Text(bytes.subarray(8, 24)),
      dst: ipv6Text(bytes.subarray(24, 40)),
      ttl: bytes[7]!,
      protocol,
      payload: bytes.subarray(Math.min(offset, bytes.length)),
      payloadLength: u16(bytes, 4) + 40 - offset,
    };
  }
  return undefined;
}

/** RFC 5952 text (longest zero run compressed), as traceroute prints addresses. */
function ipv6Text(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => u16(bytes, i * 2));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) [bestStart, bestLength] = [i, end - i];
    i = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

function u16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}

function u32(bytes: Uint8Array, offset: number): number {
  return ((u16(bytes, offset) << 16) >>> 0) + u16(bytes, offset + 2);
}
