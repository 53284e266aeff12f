import type { MeasurementRow, ParticipationRecord, ProbeRecord } from "@probestream/db";
import { MeasurementStatus, ProbeStatusNames, probeTagOf, type Measurement, type ParticipationRequestResource, type Probe } from "@probestream/types";

const seconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);

/** A measurement in the RIPE Atlas shape: its definition's options beside the common fields. */
export function presentMeasurement(m: MeasurementRow, baseUrl: string): Measurement {
  return {
    ...m.definition,
    id: m.id,
    type: m.type,
    af: m.af,
    target: m.target,
    target_ip: m.target_ip,
    description: m.description,
    interval: m.interval,
    spread: m.spread,
    is_oneoff: m.is_oneoff,
    is_public: m.is_public,
    start_time: m.start_time,
    stop_time: m.stop_time,
    creation_time: m.creation_time,
    status: {
      id: m.status,
      name: MeasurementStatus[m.status as keyof typeof MeasurementStatus] ?? "Unknown",
      when: m.status_since,
    },
    participant_count: m.participant_count,
    result_count: m.result_count,
    last_result_time: m.last_result_time,
    probes_requested: m.probes_requested,
    probes_scheduled: m.probes_scheduled,
    probe_sources: m.probe_sources,
    result: `${baseUrl}/api/v2/measurements/${m.id}/results/`,
    tags: m.tags,
  };
}

export function presentProbe(p: ProbeRecord): Probe {
  return {
    id: p.id,
    type: "Probe",
    address_v4: p.addressV4,
    address_v6: p.addressV6,
    prefix_v4: p.prefixV4,
    prefix_v6: p.prefixV6,
    asn_v4: p.asnV4,
    asn_v6: p.asnV6,
    country_code: p.countryCode,
    geometry:
      p.longitude !== null && p.latitude !== null ? { type: "Point", coordinates: [p.longitude, p.latitude] } : null,
    status: {
      id: p.status,
      name: ProbeStatusNames[p.status as keyof typeof ProbeStatusNames] ?? "Unknown",
      since: seconds(p.statusSince),
    },
    status_since: seconds(p.statusSince),
    is_anchor: p.isAnchor,
    is_public: p.isPublic,
    first_connected: seconds(p.firstConnected),
    last_connected: seconds(p.lastConnected),
    total_uptime: p.totalUptime,
    description: p.description,
    firmware_version: p.firmware,
    tags: p.tags.map(probeTagOf),
  };
}

/** A participation request in the RIPE Atlas shape: the selection flat, tags as comma lists. */
export function presentParticipation(r: ParticipationRecord, baseUrl: string): ParticipationRequestResource {
  const { include, exclude } = r.source.tags ?? {};
  return {
    id: r.id,
    self: `${baseUrl}/api/v2/participation-requests/${r.id}/`,
    action: r.action,
    requested: r.source.requested,
    type: r.source.type,
    value: r.source.value,
    ...(include?.length ? { tags_include: include.join(",") } : {}),
    ...(exclude?.length ? { tags_exclude: exclude.join(",") } : {}),
    created_at: r.created_at,
  };
}
