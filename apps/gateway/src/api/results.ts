import type { FastifyInstance, FastifyReply } from "fastify";
import { Readable, Transform, pipeline, type Stream } from "node:stream";
import type { ResultReader } from "@probestream/db";
import { HttpError } from "@probestream/service-kit";
import {
  ApiError, IdParams, LatestQuery, ResultsQuery, joinJsonBytes,
  type LatestQuery as LatestQueryT, type ResultsQuery as ResultsQueryT,
} from "@probestream/types";
import { mayRead, type Caller } from "../access/api-keys.js";
import { integerList } from "./pagination.js";
import "./openapi-meta.js";
import { resultExample } from "./examples.js";

/** What a results answer holds: RIPE Atlas results as the probes sent them, with `stored_timestamp`. */
const Results = { type: "array", items: { type: "object", additionalProperties: true } };

export interface ResultsRouteOptions {
  reader: ResultReader;
}

type ProbeScope = Pick<ResultsQueryT, "anchors_only" | "anchors-only" | "public_only" | "public-only" | "probe_ids">;

/**
 * The probes a download is limited to: `probe_ids`, narrowed to anchors and/or public probes when
 * asked (both spellings); undefined for all probes. An empty list means no probe qualifies.
 */
function scopedProbeIds(reader: ResultReader, q: ProbeScope): Promise<number[] | undefined> {
  return reader.scopedProbeIds(
    integerList("probe_ids", q.probe_ids),
    q.anchors_only ?? q["anchors-only"] ?? false,
    q.public_only ?? q["public-only"] ?? false,
  );
}

/** Frames a stream of batches of served JSON results as one JSON array, or as one result per line. */
function framing(format: "json" | "txt"): Transform {
  let first = true;
  return new Transform({
    writableObjectMode: true,
    transform(batch: string[], _enc, done) {
      if (format === "txt") return done(null, joinJsonBytes(batch, "\n", "", "\n"));
      const chunk = joinJsonBytes(batch, ",", first ? "[" : ",");
      first = false;
      done(null, chunk);
    },
    flush(done) {
      done(null, format === "json" ? (first ? "[]" : "]") : undefined);
    },
  });
}

/**
 * Sends a text stream (compressed by the gateway's compression when accepted), as a file to save
 * when `download` asks for it; backpressure throughout.
 */
function sendStream(reply: FastifyReply, source: Stream, format: "json" | "txt", download: string | undefined): FastifyReply {
  reply.type(contentType(format));
  if (download !== undefined) reply.header("content-disposition", `attachment; filename="${download}.${format}"`);
  return reply.send(source);
}

function contentType(format: "json" | "txt"): string {
  return format === "json" ? "application/json; charset=utf-8" : "text/plain; charset=utf-8";
}

/** The file name RIPE Atlas gives a measurement's results download, without its extension. */
const fileName = (id: number, what = "") => `RIPE-Atlas-measurement-${id}${what}`;

export const refusals = {
  400: { description: "Invalid parameter", schema: ApiError },
  403: { description: "Private measurement and not its owner's key with results:read_private, or unknown key", schema: ApiError },
  404: { description: "No such measurement", schema: ApiError },
};

/** Refuses a caller who may not read the measurement's results: 404 when it does not exist, 403 when private. */
export async function admitResultReader(reader: ResultReader, caller: Caller, id: number): Promise<void> {
  const readers = await reader.readersOf(id);
  if (!readers) throw new HttpError(404, `Measurement ${id} does not exist`);
  if (!mayRead(caller, readers.privateTo)) {
    throw new HttpError(403, "This measurement's results are private: they need its owner's API key with results:read_private");
  }
}

/**
 * The RIPE Atlas results download: `GET /api/v2/measurements/{id}/results/` streams straight from a
 * Postgres cursor, so any size is served in constant memory; `/latest/` is each probe's newest.
 * A private measurement's results go only to its owner's key with `results:read_private`.
 */
export async function resultsRoutes(fastify: FastifyInstance, opts: ResultsRouteOptions): Promise<void> {
  const { reader } = opts;
  const admit = (caller: Caller, id: number) => admitResultReader(reader, caller, id);

  fastify.get<{ Params: IdParams; Querystring: ResultsQueryT }>(
    "/api/v2/measurements/:id/results/",
    {
      schema: { params: IdParams, querystring: ResultsQuery },
      config: {
        openapi: {
          summary:
            "A measurement's results, streamed as read (`json`: one array, `txt`: one per line); gzip when accepted; " +
            "`download=true` answers them as a file (`RIPE-Atlas-measurement-ID.json`); days the retention dropped are " +
            "served from their export when the server keeps one",
          tag: "results",
          responses: { 200: { description: "The results", schema: Results, example: [resultExample] }, ...refusals },
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const q = request.query;
      if (q.start !== undefined && q.stop !== undefined && q.stop < q.start) {
        throw new HttpError(400, "stop: must not be before start", [
          { source: { pointer: "/querystring/stop" }, detail: "must not be before start" },
        ]);
      }
      await admit(request.caller, id);
      const format = q.format ?? "json";
      const probes = await scopedProbeIds(reader, q);
      const rows = probes?.length === 0
        ? Readable.from([], { objectMode: true })
        : await reader.stream({ msmId: id, start: q.start, stop: q.stop, probeIds: probes });
      const body = pipeline(rows, framing(format), (err) => {
        if (err && err.code !== "ERR_STREAM_PREMATURE_CLOSE") request.log.error({ err }, "results stream failed");
      });
      return sendStream(reply, body, format, q.download ? fileName(id) : undefined);
    },
  );

  fastify.get<{ Params: IdParams; Querystring: LatestQueryT }>(
    "/api/v2/measurements/:id/latest/",
    {
      schema: { params: IdParams, querystring: LatestQuery },
      config: {
        openapi: {
          summary: "The newest results of each probe (`versions` per probe)",
          tag: "results",
          responses: { 200: { description: "The results", schema: Results, example: [resultExample] }, ...refusals },
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const q = request.query;
      await admit(request.caller, id);
      const format = q.format ?? "json";
      const probes = await scopedProbeIds(reader, q);
      const results = probes?.length === 0
        ? []
        : await reader.latest({
          msmId: id,
          probeIds: probes,
          versions: q.versions ?? 1,
          // 0 means no limit, as in RIPE Atlas clients ("indefinite").
          lookbackDays: q.lookback_days === 0 ? undefined : q.lookback_days,
        });
      const text = format === "txt" ? results.map((r) => `${r}\n`).join("") : `[${results.join(",")}]`;
      return sendStream(reply, Readable.from([text]), format, q.download ? fileName(id, "-latest") : undefined);
    },
  );
}
