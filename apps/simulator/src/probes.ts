import type { ProbeRegistration } from "@probestream/types";
import { CITIES } from "./geography.js";
import { hostInPrefix, ipv6Twin, ipv6TwinPrefix, parsePrefix } from "./ipv4.js";
import { Random, roundTo, seedOf } from "./random.js";

/** A simulated probe: where it is, which network it sits in, and its addresses. */
export interface ProbeProfile {
  prbId: number;
  countryCode: string;
  city: string;
  asn: number;
  ispName: string;
  prefixV4: string;
  /** Public address: the `from` of its results. */
  addressV4: string;
  /** Address its measurements leave from: on a home LAN behind NAT for most probes. */
  srcAddrV4: string;
  /** IPv6 address and prefix, for the probes whose network has IPv6 (no NAT there). */
  addressV6?: string;
  prefixV6?: string;
  latitude: number;
  longitude: number;
  description: string;
  /** RTT to the ISP's first router: fibre, cable or DSL. */
  accessRttMs: number;
  /** A RIPE Atlas anchor: registered with `is_anchor`. */
  isAnchor?: boolean;
}

/** Share of probes with IPv6, about what RIPE Atlas probes report. */
const IPV6_SHARE = 0.6;

const HOME_LANS = ["192.168.1.0/24", "192.168.0.0/24", "192.168.178.0/24", "10.0.0.0/24", "192.168.2.0/24"];

/** The profile of a probe id; the same id always gives the same probe. */
export function createProbeProfile(prbId: number): ProbeProfile {
  const random = new Random(seedOf("probe", prbId));
  const city = random.pickWeighted(CITIES, (candidate) => candidate.weight);
  const isp = random.pick(city.isps);
  const addressV4 = hostInPrefix(parsePrefix(isp.prefix), random);
  const behindNat = random.chance(0.8);
  const srcAddrV4 = behindNat ? hostInPrefix(parsePrefix(random.pick(HOME_LANS)), random) : addressV4;
  const accessRttMs = random.pickWeighted(
    [
      { medium: "fibre", rtt: random.between(0.8, 3) },
      { medium: "cable", rtt: random.between(5, 12) },
      { medium: "dsl", rtt: random.between(8, 25) },
    ],
    (option) => (option.medium === "fibre" ? 3 : 2),
  ).rtt;
  return {
    prbId,
    countryCode: city.countryCode,
    city: city.name,
    asn: isp.asn,
    ispName: isp.name,
    prefixV4: isp.prefix,
    addressV4,
    srcAddrV4,
    // Probe owners report a location near the city centre, rounded like the Atlas UI does.
    latitude: roundTo(city.latitude + random.between(-0.15, 0.15), 4),
    longitude: roundTo(city.longitude + random.between(-0.15, 0.15), 4),
    description: `Simulated probe ${prbId} (${isp.name}, ${city.name})`,
    accessRttMs: roundTo(accessRttMs, 3),
    // A draw of its own, so that the profiles of probes did not change when IPv6 came.
    ...(new Random(seedOf("ipv6", prbId)).chance(IPV6_SHARE) ? { addressV6: ipv6Twin(addressV4), prefixV6: ipv6TwinPrefix(addressV4) } : {}),
  };
}

/** `anchors` of them anchors, evenly spaced over the ids so that they fall in many cities. */
export function createProbeProfiles(count: number, firstProbeId: number, anchors = 0): ProbeProfile[] {
  const every = anchors > 0 ? count / Math.min(anchors, count) : Infinity;
  return Array.from({ length: count }, (_, index) => {
    const profile = createProbeProfile(firstProbeId + index);
    return index % every < 1 ? { ...profile, isAnchor: true } : profile;
  });
}

/** What the probe tells `POST /probe/register` about itself. */
export function registrationOf(probe: ProbeProfile): ProbeRegistration {
  return {
    prb_id: probe.prbId,
    asn_v4: probe.asn,
    prefix_v4: probe.prefixV4,
    country_code: probe.countryCode,
    address_v4: probe.addressV4,
    ...(probe.addressV6 ? { address_v6: probe.addressV6, prefix_v6: probe.prefixV6 } : {}),
    latitude: probe.latitude,
    longitude: probe.longitude,
    description: probe.description,
    ...(probe.isAnchor ? { is_anchor: true } : {}),
  };
}

