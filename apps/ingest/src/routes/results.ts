import type { FastifyInstance } from "fastify";
import { MeasurementStatus, validateResult, type IngestRejection, type MeasurementEvent } from "@probestream/types";
import type { ResultToStore, ResultWriter } from "@probestream/db";
import { Channels, type MessageBus, type PublishedMeasurementEvent } from "@probestream/bus";
import { HttpError, errorBody } from "@probestream/service-kit";
import { parseBatch } from "../batch-parser.js";
import { parseProbeAuthorization, type ProbeAuthenticator } from "../probe-auth.js";
import type { IngestMetrics } from "../metrics.js";
import type { ProbeEvidenceRecorder } from "../probe-evidence.js";

export interface ResultsRouteOptions {
  writer: ResultWriter;
  bus: MessageBus;
  auth: ProbeAuthenticator;
  metrics: IngestMetrics;
  evidence: ProbeEvidenceRecorder;
  maxBatchItems: number;
  bodyLimit: number;
}

const NDJSON = "application/x-ndjson";

/** A measurement first seen through its results is public and ongoing: tell `metadata` subscribers. */
function publishCreated(bus: MessageBus, m: { id: number; type: string }): Promise<void> {
  const event: MeasurementEvent = {
    msm_id: m.id,
    event: "created",
    timestamp: Math.floor(Date.now() / 1000),
    type: m.type,
    status: { id: 2, name: MeasurementStatus[2] },
    is_public: true,
  };
  const message: PublishedMeasurementEvent<MeasurementEvent> = { privateTo: null, event };
  return bus.publish(Channels.metadata, JSON.stringify(message));
}

/**
 * `POST /probe/results`: a probe's batch. Each result is validated on its own; the good ones are
 * committed in one statement, then acknowledged, then published. A bad one is reported by index
 * and field and never sinks the rest.
 */
export async function resultsRoute(fastify: FastifyInstance, opts: ResultsRouteOptions): Promise<void> {
  // Bodies arrive as text: NDJSON is split per line, and a JSON parse failure is reported in our words.
  fastify.addContentTypeParser(
    ["application/json", NDJSON],
    { parseAs: "string", bodyLimit: opts.bodyLimit },
    (_request, body, done) => done(null, body),
  );

  fastify.post(
    "/probe/results",
    {
      bodyLimit: opts.bodyLimit,
      schema: {
        headers: {
          type: "object",
          properties: { authorization: { type: "string", description: "Probe <prb_id>:<secret>" } },
          required: ["authorization"],
        },
      },
    },
    async (request, reply) => {
      const credentials = parseProbeAuthorization(request.headers.authorization);
      if (!credentials) {
        throw new HttpError(401, "Authorization must be `Probe <prb_id>:<secret>`", [
          { source: { pointer: "/headers/authorization" }, detail: "malformed" },
        ]);
      }
      if (!(await opts.auth.verify(credentials))) {
        throw new HttpError(401, `Unknown probe ${credentials.prbId} or wrong secret`, [
          { source: { pointer: "/headers/authorization" }, detail: "not accepted" },
        ]);
      }
      const contentType = (request.headers["content-type"] ?? "").split(";")[0]!.trim();
      const items = parseBatch(request.body as string, contentType === NDJSON);
      if (items.length > opts.maxBatchItems) {
        throw new HttpError(413, `A batch holds at most ${opts.maxBatchItems} results, this one ${items.length}`);
      }

      const accepted: ResultToStore[] = [];
      const acceptedResults: Record<string, unknown>[] = [];
      const rejected: IngestRejection[] = [];
      let foreign = 0;
      items.forEach((item, index) => {
        if ("parseError" in item) {
          rejected.push({ index, field: "", message: item.parseError });
          return;
        }
        const outcome = validateResult(item.value);
        if (!outcome.ok) {
          rejected.push({ index, field: outcome.field, message: outcome.message });
          return;
        }
        const result = outcome.result as Record<string, unknown>;
        const prbId = Number(result.prb_id);
        if (prbId !== credentials.prbId) {
          foreign++;
          rejected.push({
            index,
            field: "prb_id",
            message: `result of probe ${prbId} sent by probe ${credentials.prbId}: a probe submits only its own results`,
          });
          return;
        }
        // The platform sets stored_timestamp; a probe's own value is not kept.
        delete result.stored_timestamp;
        acceptedResults.push(result);
        accepted.push({
          msmId: Number(result.msm_id),
          prbId,
          timestamp: result.timestamp as number,
          type: result.type as string,
          body: JSON.stringify(result),
        });
      });

      const started = process.hrtime.bigint();
      const { stored, duplicates, createdMeasurements } = await opts.writer.write(accepted).catch((err: unknown) => {
        request.log.error({ err }, "storing results failed");
        throw new HttpError(503, "Results could not be stored; nothing was acknowledged, send them again");
      });
      opts.metrics.observeBatch(stored.length, duplicates, rejected.length, started);
      for (const result of acceptedResults) opts.evidence.note(credentials.prbId, result);
      for (const m of createdMeasurements) publishCreated(opts.bus, m).catch((err: unknown) => {
        request.log.error({ err }, "publishing a measurement event failed");
      });

      const body = { stored: stored.length, duplicates, rejected };
      if (rejected.length === 0) return reply.status(200).send(body);
      const status = foreign === rejected.length && accepted.length === 0 ? 403 : 422;
      request.log.info({ prbId: credentials.prbId, rejected: rejected.length, stored: stored.length }, "results rejected");
      const first = rejected[0]!;
      const detail =
        `${rejected.length} of ${items.length} results rejected, ${stored.length} stored; ` +
        `first: [${first.index}] ${first.field ? `${first.field}: ` : ""}${first.message}`;
      return reply.status(status).send({
        ...body,
        ...errorBody(
          status,
          detail,
          rejected.map((r) => ({ source: { pointer: `/${r.index}${r.field ? `/${r.field}` : ""}` }, detail: r.message })),
        ),
      });
    },
  );
}
