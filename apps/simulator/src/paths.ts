import { TRANSIT_NETWORKS, distanceKm } from "./geography.js";
import { formatIpv4, gatewayOf, hostInPrefix, parseIpv4, parsePrefix } from "./ipv4.js";
import type { ProbeProfile } from "./probes.js";
import { Random, roundTo, seedOf } from "./random.js";
import type { TargetHost } from "./targets.js";

/** A router on the way; `address` is null for one that never answers traceroute probes. */
export interface Hop {
  address: string | null;
  /** Typical RTT to this router, before jitter. */
  rttMs: number;
  /** TTL its replies arrive with. */
  replyTtl: number;
}

/** The route and its behaviour between one probe and one target; stable across results. */
export interface NetworkPath {
  hops: Hop[];
  /** Whether the target answers at all (some filter ICMP/UDP from some networks). */
  reachable: boolean;
  rttMs: number;
  jitterMs: number;
  loss: number;
  /** TTL the target's replies arrive with. */
  replyTtl: number;
}

// Light in fibre covers about 100 km per millisecond of round trip; routes are longer than
// great circles.
const KM_PER_RTT_MS = 100;

export function pathBetween(probe: ProbeProfile, target: TargetHost): NetworkPath {
  const random = new Random(seedOf("path", probe.prbId, target.name));
  const propagationMs = target.anycast
    ? 0.5 + random.exponential(6)
    : (distanceKm(probe, target) / KM_PER_RTT_MS) * random.between(1.2, 1.9);
  const rttMs = probe.accessRttMs + propagationMs + random.between(0.3, 2);

  const hops: Hop[] = [];
  // Routers answer with an initial TTL of 255 (most) or 64, less one per hop back to the probe.
  const routerTtl = () => (random.chance(0.8) ? 255 : 64) - hops.length;
  const natted = probe.srcAddrV4 !== probe.addressV4;
  if (natted) hops.push({ address: gatewayOf(probe.srcAddrV4), rttMs: random.between(0.3, 1.2), replyTtl: 64 });

  const ispPrefix = parsePrefix(probe.prefixV4);
  const ispHops = random.int(2, 4);
  for (let i = 0; i < ispHops; i++) {
    // The first ISP router is often numbered from private space.
    const address =
      i === 0 && random.chance(0.3)
        ? formatIpv4(parseIpv4("10.0.0.0") + random.int(1, 0xffffff - 1))
        : hostInPrefix(ispPrefix, random);
    hops.push({ address, rttMs: probe.accessRttMs + i * random.between(0.3, 1.5), replyTtl: routerTtl() });
  }

  const transit = random.pick(TRANSIT_NETWORKS);
  const transitHops = Math.min(10, 1 + Math.round(propagationMs / 25) + random.int(0, 2));
  const ispEndMs = hops[hops.length - 1]?.rttMs ?? probe.accessRttMs;
  for (let i = 1; i <= transitHops; i++) {
    const progress = i / (transitHops + 1);
    hops.push({
      address: hostInPrefix(parsePrefix(transit.prefix), random),
      rttMs: ispEndMs + (rttMs - ispEndMs) * progress,
      replyTtl: routerTtl(),
    });
  }

  const targetNetwork = (parseIpv4(target.addressV4) & 0xffffff00) >>> 0;
  hops.push({
    address: formatIpv4(targetNetwork + random.int(1, 3)),
    rttMs: rttMs - random.between(0, 0.3),
    replyTtl: routerTtl(),
  });
  // Some routers never answer traceroute probes: their hops show only `*`.
  for (const hop of hops.slice(1)) if (random.chance(0.06)) hop.address = null;
  const replyTtl = (random.chance(0.7) ? 64 : 128) - hops.length;
  hops.push({ address: target.addressV4, rttMs, replyTtl });

  return {
    hops: hops.map((hop) => ({ ...hop, rttMs: roundTo(hop.rttMs, 3) })),
    reachable: random.chance(0.97),
    rttMs,
    jitterMs: 0.02 * rttMs + random.exponential(0.4),
    loss: random.chance(0.85) ? 0.002 : random.between(0.01, 0.06),
    replyTtl,
  };
}

/** One RTT sample along the path: the base RTT plus queueing delay. */
export function sampleRtt(baseMs: number, path: NetworkPath, random: Random): number {
  return roundTo(baseMs + random.exponential(path.jitterMs), 3);
}
