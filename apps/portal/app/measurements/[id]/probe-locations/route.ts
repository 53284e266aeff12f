import type { Probe } from "@probestream/types";
import type { ProbeLocation } from "../../../../components/result-views/latency-map";
import { api } from "../../../../lib/api";

/** Probes looked up in one request at most. */
const MAX_IDS = 200;

function locationOf(probe: Probe): ProbeLocation[] {
  if (!probe.geometry) return [];
  const [lon, lat] = probe.geometry.coordinates;
  return [{ id: probe.id, lat, lon, country: probe.country_code }];
}

/**
 * Where probes are, for the latency map: the probes API as the visitor, so a probe the visitor may
 * not see stays off the map. `?ids=1,2,3`.
 */
export async function GET(request: Request): Promise<Response> {
  const ids = new URL(request.url).searchParams.get("ids") ?? "";
  if (!/^\d{1,10}(,\d{1,10})*$/.test(ids) || ids.split(",").length > MAX_IDS) {
    return Response.json({ error: `ids: up to ${MAX_IDS} probe ids, comma-separated` }, { status: 400 });
  }
  const answer = await api<{ results: Probe[] }>(`/api/v2/probes/?id__in=${ids}&page_size=${MAX_IDS}`);
  if (answer.status !== 200) return Response.json({ error: `probes API answered ${answer.status}` }, { status: 502 });
  return Response.json(answer.body.results.flatMap(locationOf), { headers: { "cache-control": "private, max-age=300" } });
}
