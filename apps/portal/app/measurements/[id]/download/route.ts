import { gatewayInternalUrl } from "../../../../lib/api";
import { fromUtcInputValue } from "../../../../lib/format";
import { sessionKey } from "../../../../lib/session";
import { parseMeasurementId } from "../measurement-id";

const FORMATS = { json: { extension: "json", type: "application/json; charset=utf-8" }, txt: { extension: "txt", type: "text/plain; charset=utf-8" } } as const;

/** A time from the form (a UTC datetime-local value) or from a link (Unix seconds). */
function timeParameter(value: string | null): number | null | "invalid" {
  if (value === null || value.trim() === "") return null;
  if (/^\d{1,12}$/.test(value)) return Number(value);
  return fromUtcInputValue(value) ?? "invalid";
}

/** The chosen probes (none: all), or "invalid". */
function probeIdsParameter(values: string[]): string[] | "invalid" {
  const ids = values.flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== "");
  return ids.every((id) => /^\d{1,10}$/.test(id)) ? ids : "invalid";
}

function problem(status: number, detail: string): Response {
  return new Response(`${detail}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/**
 * A measurement's results as a file to save: the REST results download as the visitor, streamed
 * through (never held in memory), for a time range and chosen probes.
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const id = parseMeasurementId((await params).id);
  if (id === null) return problem(404, "No such measurement.");
  const query = new URL(request.url).searchParams;
  const format = query.get("format") === "txt" ? "txt" : "json";
  const start = timeParameter(query.get("start"));
  const stop = timeParameter(query.get("stop"));
  const probeIds = probeIdsParameter(query.getAll("probe_ids"));
  if (start === "invalid" || stop === "invalid") return problem(400, "Start and stop must be dates and times (UTC).");
  if (probeIds === "invalid") return problem(400, "Probe ids must be numbers, separated by commas.");

  const upstreamQuery = new URLSearchParams({ format });
  if (start !== null) upstreamQuery.set("start", String(start));
  if (stop !== null) upstreamQuery.set("stop", String(stop));
  if (probeIds.length > 0) upstreamQuery.set("probe_ids", probeIds.join(","));
  const key = await sessionKey();
  const upstream = await fetch(`${gatewayInternalUrl()}/api/v2/measurements/${id}/results/?${upstreamQuery}`, {
    headers: key ? { authorization: `Key ${key}` } : {},
    cache: "no-store",
    signal: request.signal,
  });
  if (!upstream.ok || !upstream.body) {
    const reason = upstream.status === 403 ? "This measurement is private." : upstream.status === 404 ? "No such measurement." : await upstream.text();
    return problem(upstream.status, reason);
  }
  const range = [start, stop].map((t) => (t === null ? "" : String(t))).join("-");
  const name = `measurement-${id}${range === "-" ? "" : `-${range}`}.${FORMATS[format].extension}`;
  return new Response(upstream.body, {
    headers: {
      "content-type": FORMATS[format].type,
      "content-disposition": `attachment; filename="${name}"`,
      "cache-control": "no-store",
    },
  });
}
