import type { FastifyInstance } from "fastify";
import { newestResultsPerProbe, type Pool, type ResultReader } from "@probestream/db";
import {
  IdParams, StatusCheckQuery, type StatusCheckAnswer, type StatusCheckOptions, type StatusCheckState, StatusCheckResponse, probeSource, statusCheck, statusCheckOptions, statusCheckPrometheus,
  type StatusCheckQuery as StatusCheckQueryT, type UntypedResult,
} from "@probestream/types";
import { admitResultReader, refusals } from "./results.js";
import { statusCheckExample } from "./examples.js";

/** Status checks kept current on the live path: undefined when this one is not kept. */
export interface LiveStatusChecks {
  state(msm: number, options: StatusCheckOptions): Promise<StatusCheckState | undefined>;
}

export interface StatusCheckRouteOptions {
  pool: Pool;
  reader: ResultReader;
  live?: LiveStatusChecks;
}

/** The status check from storage: each probe's newest `lookback` results. */
async function fromStorage(pool: Pool, msm: number, options: StatusCheckOptions): Promise<StatusCheckAnswer> {
  const rows = await newestResultsPerProbe(pool, msm, options.lookback);
  const sources = new Map(rows.map((r) => [r.prb_id, probeSource(r.country_code)]));
  return statusCheck(rows.map((r) => ({ seq: r.seq, result: JSON.parse(r.body) as UntypedResult })), options, sources);
}

/**
 * RIPE Atlas status checks: `GET /api/v2/measurements/{id}/status-check/`, a measurement's health
 * from each probe's newest results (see `@probestream/types` status-check.ts for the semantics and
 * their sources), for monitoring systems that poll. Never cached; the global alert also in the
 * `X-RIPE-Atlas-Global-Alert` header; `format=prometheus` answers per-probe gauges. A private
 * measurement's status goes only to its owner's key with `results:read_private`, as its results do.
 * Monitoring systems poll the same URL again and again: the first poll reads storage, and the
 * gateway then keeps that status check current on the live path (the alert streams' state), so
 * later polls answer from memory; the fold equals the reading from storage (a property test).
 */
export async function statusCheckRoutes(fastify: FastifyInstance, opts: StatusCheckRouteOptions): Promise<void> {
  const { pool, reader, live } = opts;

  fastify.get<{ Params: IdParams; Querystring: StatusCheckQueryT }>(
    "/api/v2/measurements/:id/status-check/",
    {
      schema: { params: IdParams, querystring: StatusCheckQuery },
      config: {
        openapi: {
          summary: "A measurement's health from its probes' newest results (RIPE Atlas status check)",
          description:
            "RIPE's parameters (`max_packet_loss`, `show_all`, `permitted_total_alerts`, `lookback`, `median_rtt_threshold`) " +
            "for ping; DNS (timeouts, `dns_rcodes`), HTTP (`http_alert_status`), sslcert (`cert_expiry_days`) and traceroute " +
            "(destination unreachable) as extensions. `X-RIPE-Atlas-Global-Alert: 0|1`; `format=prometheus` for scrapers.",
          tag: "results",
          responses: { 200: { description: "The status check", schema: StatusCheckResponse, example: statusCheckExample }, ...refusals },
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const q = request.query;
      await admitResultReader(reader, request.caller, id);
      const options = statusCheckOptions(q);
      const kept = await live?.state(id, options);
      const answer = kept ? undefined : await fromStorage(pool, id, options);
      const globalAlert = kept ? kept.globalAlert : answer!.global_alert;
      reply.header("x-ripe-atlas-global-alert", globalAlert ? "1" : "0").header("cache-control", "no-cache, no-store");
      if (q.format === "prometheus") return reply.type("text/plain; version=0.0.4; charset=utf-8").send(statusCheckPrometheus(id, answer ?? kept!.answer()));
      // The bytes fastify writes for kept.answer(), from each probe's JSON kept until the probe changes.
      if (kept) return reply.type("application/json; charset=utf-8").send(Buffer.concat(kept.answerJsonPieces()));
      return answer;
    },
  );
}
