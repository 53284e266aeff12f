import { lookup } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

/**
 * Addresses a webhook must not reach unless the server allows private targets: loopback,
 * private, shared (CGNAT), link-local, multicast, reserved and unspecified ones, in both families
 * (IPv4-mapped IPv6 addresses are checked as the IPv4 address they map).
 */
const refused = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) refused.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["fec0::", 10], ["ff00::", 8], ["64:ff9b::", 96], ["100::", 64],
] as const) refused.addSubnet(net, bits, "ipv6");

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** Whether a webhook may connect to this address when private targets are not allowed. */
export function isPublicAddress(address: string): boolean {
  const mapped = MAPPED.exec(address)?.[1];
  if (mapped) return isPublicAddress(mapped);
  const family = isIP(address);
  if (family === 0) return false;
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
