import type { ApiKey, Measurement, ParticipationRequestResource, Probe, Webhook, WebhookDelivery } from "@probestream/types";

/** Example answers shown in the API's documentation, one per endpoint. */
const BASE = "https://atlas.example.net";

export const measurementExample: Measurement = {
  id: 1001, type: "ping", af: 4, target: "k.root-servers.net", target_ip: "193.0.14.129", description: "Ping k-root",
  interval: 240, spread: null, is_oneoff: false, is_public: true, start_time: 1_764_547_200, stop_time: null,
  creation_time: 1_764_547_190, status: { id: 2, name: "Ongoing", when: 1_764_547_200 }, participant_count: 10,
  result_count: 1_440, last_result_time: 1_764_633_360,
  probes_requested: 10, probes_scheduled: 10, probe_sources: [{ type: "area", value: "WW", requested: 10 }],
  result: `${BASE}/api/v2/measurements/1001/results/`, tags: ["dns"],
};

export const probeExample: Probe = {
  id: 6001, type: "Probe", address_v4: "193.0.0.10", address_v6: null, prefix_v4: "193.0.0.0/21", prefix_v6: null,
  asn_v4: 3333, asn_v6: null, country_code: "NL", geometry: { type: "Point", coordinates: [4.9, 52.37] },
  status: { id: 1, name: "Connected", since: 1_764_547_000 }, status_since: 1_764_547_000, is_anchor: false, is_public: true,
  first_connected: 1_764_000_000, last_connected: 1_764_547_000, total_uptime: 547_000, description: "Lab probe",
  firmware_version: 5080, tags: [{ name: "system: IPv4 Works", slug: "system-ipv4-works" }],
};

export const keyExample: ApiKey = { id: 7, label: "scripts", rights: ["measurements:create"], created_at: 1_764_547_200 };

export const participationExample: ParticipationRequestResource = {
  id: 12, self: `${BASE}/api/v2/participation-requests/12/`, action: "add", requested: 2, type: "probes", value: "6001,6002",
  created_at: 1_764_547_300,
};

export const pageOf = <T>(item: T) => ({ count: 1, next: null, previous: null, results: [item] });

export const resultExample = {
  fw: 5080, lts: 12, dst_name: "k.root-servers.net", dst_addr: "193.0.14.129", src_addr: "193.0.0.10", proto: "ICMP", af: 4,
  size: 48, ttl: 57, dup: 0, rcvd: 3, sent: 3, min: 9.1, max: 9.8, avg: 9.4, msm_id: 1001, prb_id: 6001, timestamp: 1_764_547_440,
  msm_name: "Ping", from: "193.0.0.10", type: "ping", group_id: 1001, step: 240,
  result: [{ rtt: 9.1 }, { rtt: 9.3 }, { rtt: 9.8 }], stored_timestamp: 1_764_547_441,
};

export const errorExample = {
  error: {
    status: 400, title: "Bad Request", detail: "page_size: must be <= 500",
    errors: [{ source: { pointer: "/querystring/page_size" }, detail: "must be <= 500" }],
  },
};

export const notFound = (detail: string) => ({ error: { status: 404, title: "Not Found", detail } });

export const statusCheckExample = {
  global_alert: true,
  probes: {
    "6001": { alert: false, last: 9.4, last_packet_loss: 0, source: "Country: NL" },
    "6002": { alert: true, last: null, last_packet_loss: 100, source: "Country: AU", all: [null, null, null], alert_reasons: ["loss"] },
  },
};

export const webhookExample: Webhook = {
  id: 3, url: "https://hooks.example.net/atlas", subscription: { stream_type: "result", msm: 1001, greaterThan: { avg: 50 } },
  description: "slow pings", state: "active", position: "7581200000000004711", retrying_since: null, last_error: null,
  last_success_at: 1_764_547_260, created_at: 1_764_547_200, updated_at: 1_764_547_200,
};

export const webhookDeliveryExample: WebhookDelivery = {
  id: 91, delivery_id: "6f1c2a4e-0d51-4c59-9a39-0e4f8a3c2b17", attempt: 1, event: "result",
  first_position: "7581200000000004702", last_position: "7581200000000004711", results: 10, outcome: "delivered",
  status_code: 200, latency_ms: 42, error: null, attempted_at: 1_764_547_260.125,
};
