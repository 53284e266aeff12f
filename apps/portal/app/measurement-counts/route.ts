import type { Measurement } from "@probestream/types";
import { api, queryString } from "../../lib/api";
import type { LiveFields } from "../../components/measurement-list/row";

/** At most one list page's worth of ids per call. */
const MAX_IDS = 100;

/**
 * The changing fields of the list's visible rows, read through the REST API as the visitor (so a
 * private measurement's count goes only to its owner). The list page polls this; see
 * components/measurement-list/measurement-table.tsx for why it polls.
 */
export async function GET(request: Request): Promise<Response> {
  const ids = (new URL(request.url).searchParams.get("ids") ?? "")
    .split(",")
    .filter((id) => /^[1-9][0-9]{0,9}$/.test(id))
    .slice(0, MAX_IDS);
  if (ids.length === 0) return Response.json({});
  const path = `/api/v2/measurements/${queryString({
    id__in: ids.join(","),
    fields: "status,result_count,last_result_time",
    page_size: MAX_IDS,
  })}`;
  const answer = await api<{ results: Measurement[] }>(path);
  if (answer.status !== 200) return Response.json({}, { status: answer.status });
  const live: Record<number, LiveFields> = {};
  for (const m of answer.body.results) {
    live[m.id] = { status: { id: m.status.id, name: m.status.name }, result_count: m.result_count, last_result_time: m.last_result_time };
  }
  return Response.json(live, { headers: { "cache-control": "no-store" } });
}
