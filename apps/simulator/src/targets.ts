import { CITIES } from "./geography.js";
import { formatIpv4, isIpv4, parseIpv4 } from "./ipv4.js";
import { Random, seedOf } from "./random.js";

/** A measurement target as the simulated network sees it. */
export interface TargetHost {
  name: string;
  addressV4: string;
  /** Anycast targets answer from an instance near every probe. */
  anycast: boolean;
  latitude: number;
  longitude: number;
}

const AMSTERDAM = { latitude: 52.37, longitude: 4.9 };

const ROOT_SERVERS: Record<string, string> = {
  a: "198.41.0.4",
  b: "170.247.170.2",
  c: "192.33.4.12",
  d: "199.7.91.13",
  e: "192.203.230.10",
  f: "192.5.5.241",
  g: "192.112.36.4",
  h: "198.97.190.53",
  i: "192.36.148.17",
  j: "192.58.128.30",
  k: "193.0.14.129",
  l: "199.7.83.42",
  m: "202.12.27.33",
};

const KNOWN_HOSTS: readonly TargetHost[] = [
  ...Object.entries(ROOT_SERVERS).map(([letter, addressV4]) => ({
    name: `${letter}.root-servers.net`,
    addressV4,
    anycast: true,
    ...AMSTERDAM,
  })),
  { name: "www.ripe.net", addressV4: "193.0.6.139", anycast: false, ...AMSTERDAM },
  { name: "atlas.ripe.net", addressV4: "193.0.6.158", anycast: false, ...AMSTERDAM },
  { name: "ntp.ripe.net", addressV4: "193.0.0.229", anycast: false, ...AMSTERDAM },
  { name: "time.cloudflare.com", addressV4: "162.159.200.1", anycast: true, ...AMSTERDAM },
  { name: "one.one.one.one", addressV4: "1.1.1.1", anycast: true, ...AMSTERDAM },
  { name: "dns.google", addressV4: "8.8.8.8", anycast: true, ...AMSTERDAM },
  { name: "www.google.com", addressV4: "142.250.179.196", anycast: true, ...AMSTERDAM },
  { name: "www.wikipedia.org", addressV4: "185.15.59.224", anycast: false, ...AMSTERDAM },
];

export const ROOT_SERVER_NAMES = Object.keys(ROOT_SERVERS).map((letter) => `${letter}.root-servers.net`);

/** The host part of a target given as a name, an address or a URL. */
export function hostOf(target: string): string {
  return target.includes("://") ? new URL(target).hostname : target;
}

/**
 * Resolves a target the way the simulated network knows it. Names it does not know get a stable
 * address in the documentation range 198.51.100.0/24 and a home in one of the fleet's cities.
 */
export function resolveTarget(target: string): TargetHost {
  const name = hostOf(target).toLowerCase();
  const known = KNOWN_HOSTS.find((host) => host.name === name || host.addressV4 === name);
  if (known) return known;
  const random = new Random(seedOf("target", name));
  const city = random.pick(CITIES);
  const addressV4 = isIpv4(name) ? name : formatIpv4(parseIpv4("198.51.100.0") + random.int(1, 254));
  return { name, addressV4, anycast: false, latitude: city.latitude, longitude: city.longitude };
}
