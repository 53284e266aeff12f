import type { FastifyInstance } from "fastify";
import { validateResult, type IngestRejection } from "@probestream/types";
import { WriterOverloadedError, type ResultToStore, type ResultWriter } from "@probestream/db";
import { publishMeasurementEvents, type MessageBus } from "@probestream/bus";
import { HttpError, errorBody } from "@probestream/service-kit";
import { parseBatch } from "../batch-parser.js";
import { parseProbeAuthorization, type ProbeAuthenticator } from "../probe-auth.js";
import type { IngestMetrics } from "../metrics.js";
import type { ProbeEvidenceRecorder } from "../probe-evidence.js";
import type { ResultAdmission } from "../result-admission.js";

export interface ResultsRouteOptions {
  writer: ResultWriter;
  bus: MessageBus;
  auth: ProbeAuthenticator;
  metrics: IngestMetrics;
  evidence: ProbeEvidenceRecorder;
  admission: ResultAdmission;
  maxBatchItems: number;
  bodyLimit: number;
  /** Results older than this are refused (a probe's broken clock must not create a partition per day). */
  maxResultAgeSeconds?: number;
}

/** Seconds a probe waits before sending again what PostgreSQL could not take. */
const RETRY_AFTER_S = 2;

/** How far ahead of the platform's clock a probe's clock may be. */
const FUTURE_SLACK_S = 86_400;

const NDJSON = "application/x-ndjson";

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

      const candidates: { index: number; result: Record<string, unknown> }[] = [];
      const rejected: IngestRejection[] = [];
      // Rejections that are about who may write, not about the result: all of them means 403.
      let refused = 0;
      const now = Math.floor(Date.now() / 1000);
      const oldest = opts.maxResultAgeSeconds === undefined ? 0 : now - opts.maxResultAgeSeconds;
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
          refused++;
          rejected.push({
            index,
            field: "prb_id",
            message: `result of probe ${prbId} sent by probe ${credentials.prbId}: a probe submits only its own results`,
          });
          return;
        }
        const timestamp = result.timestamp as number;
        if (timestamp > now + FUTURE_SLACK_S || timestamp < oldest) {
          rejected.push({
            index,
            field: "timestamp",
            message: `must lie between ${oldest} and ${now + FUTURE_SLACK_S} (now ${now}): a probe's clock or a stale spool`,
          });
          return;
        }
        candidates.push({ index, result });
      });

      // PostgreSQL unavailable: nothing of this batch is stored, and the probe is told when to try again.
      const unavailable = (what: string) => (err: unknown): never => {
        void reply.header("retry-after", String(RETRY_AFTER_S));
        if (err instanceof WriterOverloadedError) {
          request.log.warn({ waiting: err.waiting }, "results refused: the writer's queue is full");
          throw new HttpError(503, "Ingest is overloaded; nothing was acknowledged, send them again after Retry-After");
        }
        request.log.error({ err }, what);
        throw new HttpError(503, "Results could not be stored; nothing was acknowledged, send them again");
      };
      const mayReport = await opts.admission
        .check(credentials.prbId, candidates.map((c) => Number(c.result.msm_id)))
        .catch(unavailable("checking which measurements the probe may report failed"));
      const accepted: ResultToStore[] = [];
      const acceptedResults: Record<string, unknown>[] = [];
      for (const { index, result } of candidates) {
        const msmId = Number(result.msm_id);
        if (!mayReport.get(msmId)) {
          refused++;
          rejected.push({
            index,
            field: "msm_id",
            message: `probe ${credentials.prbId} is not assigned to measurement ${msmId}: it may not report results for it`,
          });
          continue;
        }
        // The platform sets stored_timestamp; a probe's own value is not kept.
        delete result.stored_timestamp;
        acceptedResults.push(result);
        accepted.push({ msmId, prbId: credentials.prbId, timestamp: result.timestamp as number, type: result.type as string, body: JSON.stringify(result) });
      }
      rejected.sort((a, b) => a.index - b.index);

      const started = process.hrtime.bigint();
      const { stored, duplicates, createdEvents } = await opts.writer.write(accepted).catch(unavailable("storing results failed"));
      opts.metrics.observeBatch(stored.length, duplicates, rejected.length, started);
      for (const result of acceptedResults) opts.evidence.note(credentials.prbId, result);
      // A measurement first seen through its results: its event was stored with them; tell `metadata` subscribers.
      if (createdEvents.length > 0) {
        publishMeasurementEvents(opts.bus, createdEvents).catch((err: unknown) => {
          request.log.error({ err }, "publishing a measurement event failed");
        });
      }

      const body = { stored: stored.length, duplicates, rejected };
      if (rejected.length === 0) return reply.status(200).send(body);
      const status = refused === rejected.length && accepted.length === 0 ? 403 : 422;
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
