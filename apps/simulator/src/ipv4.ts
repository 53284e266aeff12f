import type { Random } from "./random.js";

export function parseIpv4(address: string): number {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) {
    throw new Error(`not an IPv4 address: ${address}`);
  }
  return parts.reduce((value, part) => value * 256 + part, 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join(".");
}

export function isIpv4(text: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(text) && text.split(".").every((part) => Number(part) <= 255);
}

export interface Ipv4Prefix {
  base: number;
  length: number;
}

export function parsePrefix(prefix: string): Ipv4Prefix {
  const [address, length] = prefix.split("/");
  const bits = Number(length);
  if (address === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    throw new Error(`not an IPv4 prefix: ${prefix}`);
  }
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (parseIpv4(address) & mask) >>> 0, length: bits };
}

/** A host address inside the prefix, never its network or broadcast address. */
export function hostInPrefix(prefix: Ipv4Prefix, random: Random): string {
  const size = 2 ** (32 - prefix.length);
  if (size <= 2) return formatIpv4(prefix.base);
  return formatIpv4(prefix.base + random.int(1, size - 2));
}

/** The router a /24 LAN usually points at: its `.1`. */
export function gatewayOf(address: string): string {
  return formatIpv4(((parseIpv4(address) & 0xffffff00) >>> 0) + 1);
}

/**
 * The simulated network is dual-stacked by a fixed rule: the IPv6 twin of an IPv4 address sits in
 * the documentation range, its /48 named by the first two octets and the host by the last two.
 */
export function ipv6Twin(address: string): string {
  const value = parseIpv4(address);
  return `2001:db8:${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}::1`;
}

/** The /48 the IPv6 twin of an address lies in. */
export function ipv6TwinPrefix(address: string): string {
  return `2001:db8:${(parseIpv4(address) >>> 16).toString(16)}::/48`;
}
