import { lookup } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Addresses a webhook must not reach unless the server allows private targets: loopback,
 * private, shared (CGNAT), link-local, multicast, reserved and unspecified ones, in both families
 * (an IPv6 address carrying an IPv4 one is checked as that IPv4 address too).
 */
const refused = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) refused.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["fec0::", 10], ["ff00::", 8], ["64:ff9b::", 96], ["100::", 64],
  // NAT64 for local use, and Teredo (its IPv4 address is obscured: no public service sits behind one).
  ["64:ff9b:1::", 48], ["2001::", 32],
] as const) refused.addSubnet(net, bits, "ipv6");

/**
 * The IPv4 address an IPv6 one leads to, in the forms hosts and relays translate: IPv4-mapped
 * (`::ffff:0:0/96`), IPv4-compatible (`::/96`) and 6to4 (`2002::/16`, the IPv4 address in bits 16-47).
 */
function embeddedIPv4(address: string): string | null {
  const v6 = ipaddr.IPv6.parse(address);
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const bytes = v6.toByteArray();
  if (v6.range() === "6to4") return bytes.slice(2, 6).join(".");
  if (bytes.slice(0, 12).every((b) => b === 0)) return bytes.slice(12).join(".");
  return null;
}

/** Whether a webhook may connect to this address when private targets are not allowed. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const v4 = embeddedIPv4(address);
    if (v4 !== null && !isPublicAddress(v4)) return false;
  }
  return !refused.check(address, family === 4 ? "ipv4" : "ipv6");
}

export class RefusedTargetError extends Error {
  constructor(readonly address: string) {
    super(`refused: ${address} is a private, loopback or link-local address (webhook targets must be public)`);
  }
}

/** The host of a URL as an address when it is one (`[::1]` → `::1`), else null. */
export function literalAddressOf(url: URL): string | null {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) !== 0 ? host : null;
}

/**
 * A DNS lookup for the HTTP client that answers only public addresses: every address the name
 * resolves to is checked after resolution, at each connection (a name that changes to a private
 * address later is refused then).
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, "", 4);
    const list = addresses as unknown as { address: string; family: number }[];
    const bad = list.find((a) => !isPublicAddress(a.address));
    if (bad) return callback(new RefusedTargetError(bad.address), "", 4);
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
    return callback(null, list[0]!.address, list[0]!.family);
  });
};
