import type { FastifyInstance } from "fastify";
import { Transform, pipeline } from "node:stream";
import type { ResultReader } from "@probestream/db";
import { HttpError } from "@probestream/service-kit";

export interface ResultsRouteOptions {
  reader: ResultReader;
}

const MeasurementParams = {
  type: "object",
  properties: { id: { type: "integer", minimum: 1, description: "Measurement id" } },
  required: ["id"],
} as const;

const ProbeIds = {
  type: "string",
  pattern: "^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$",
  description: "Comma-separated probe ids",
} as const;

const ResultsQuery = {
  type: "object",
  properties: {
    start: { type: "integer", minimum: 0, description: "Unix seconds, inclusive" },
    stop: { type: "integer", minimum: 0, description: "Unix seconds, inclusive" },
    probe_ids: ProbeIds,
    format: { type: "string", enum: ["json", "txt"], default: "json" },
    key: { type: "string", description: "API key" },
  },
  additionalProperties: false,
} as const;

const LatestQuery = {
  type: "object",
  properties: {
    probe_ids: ProbeIds,
    versions: { type: "integer", minimum: 1, maximum: 10, default: 1 },
    lookback_days: { type: "integer", minimum: 1 },
    format: { type: "string", enum: ["json", "txt"], default: "json" },
    key: { type: "string", description: "API key" },
  },
  additionalProperties: false,
} as const;

interface ResultsQueryT {
  start?: number;
  stop?: number;
  probe_ids?: string;
  format: "json" | "txt";
}

interface LatestQueryT {
  probe_ids?: string;
  versions: number;
  lookback_days?: number;
  format: "json" | "txt";
}

function probeIds(list: string | undefined): number[] | undefined {
  return list?.split(",").map((s) => Number(s.trim()));
}

/** Frames a stream of `{json}` rows as one JSON array, or as one result per line. */
function framing(format: "json" | "txt"): Transform {
  let first = true;
  return new Transform({
    writableObjectMode: true,
    transform(row: { json: string }, _enc, done) {
      if (format === "txt") return done(null, `${row.json}\n`);
      const chunk = first ? `[${row.json}` : `,${row.json}`;
      first = false;
      done(null, chunk);
    },
    flush(done) {
      done(null, format === "json" ? (first ? "[]" : "]") : undefined);
    },
  });
}

/**
 * The RIPE Atlas results download: `GET /api/v2/measurements/{id}/results/` streams straight from a
 * Postgres cursor, so any size is served in constant memory; `/latest/` is each probe's newest.
 */
export async function resultsRoutes(fastify: FastifyInstance, opts: ResultsRouteOptions): Promise<void> {
  const { reader } = opts;

  fastify.get<{ Params: { id: number }; Querystring: ResultsQueryT }>(
    "/api/v2/measurements/:id/results/",
    { schema: { params: MeasurementParams, querystring: ResultsQuery } },
    async (request, reply) => {
      const { id } = request.params;
      const q = request.query;
      if (q.start !== undefined && q.stop !== undefined && q.stop < q.start) {
        throw new HttpError(400, "stop: must not be before start", [
          { source: { pointer: "/querystring/stop" }, detail: "must not be before start" },
        ]);
      }
      if (!(await reader.measurementExists(id))) throw new HttpError(404, `Measurement ${id} does not exist`);
      const rows = await reader.stream({ msmId: id, start: q.start, stop: q.stop, probeIds: probeIds(q.probe_ids) });
      const body = pipeline(rows, framing(q.format), (err) => {
        if (err && err.code !== "ERR_STREAM_PREMATURE_CLOSE") request.log.error({ err }, "results stream failed");
      });
      reply.type(q.format === "json" ? "application/json; charset=utf-8" : "text/plain; charset=utf-8");
      return reply.send(body);
    },
  );

  fastify.get<{ Params: { id: number }; Querystring: LatestQueryT }>(
    "/api/v2/measurements/:id/latest/",
    { schema: { params: MeasurementParams, querystring: LatestQuery } },
    async (request, reply) => {
      const { id } = request.params;
      const q = request.query;
      if (!(await reader.measurementExists(id))) throw new HttpError(404, `Measurement ${id} does not exist`);
      const results = await reader.latest({
        msmId: id,
        probeIds: probeIds(q.probe_ids),
        versions: q.versions,
        lookbackDays: q.lookback_days,
      });
      if (q.format === "txt") {
        reply.type("text/plain; charset=utf-8");
        return reply.send(results.map((r) => `${r}\n`).join(""));
      }
      reply.type("application/json; charset=utf-8");
      return reply.send(`[${results.join(",")}]`);
    },
  );
}
