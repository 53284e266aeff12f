import type { FastifyInstance } from "fastify";
import { newestResultsPerProbe, type Pool, type ResultReader } from "@probestream/db";
import {
  IdParams, StatusCheckQuery, StatusCheckResponse, probeSource, statusCheck, statusCheckOptions, statusCheckPrometheus,
  type StatusCheckQuery as StatusCheckQueryT, type UntypedResult,
} from "@probestream/types";
import { admitResultReader, refusals } from "./results.js";
import { statusCheckExample } from "./examples.js";

export interface StatusCheckRouteOptions {
  pool: Pool;
  reader: ResultReader;
}

/**
 * RIPE Atlas status checks: `GET /api/v2/measurements/{id}/status-check/`, a measurement's health
 * from each probe's newest results (see `@probestream/types` status-check.ts for the semantics and
 * their sources), for monitoring systems that poll. Never cached; the global alert also in the
 * `X-RIPE-Atlas-Global-Alert` header; `format=prometheus` answers per-probe gauges. A private
 * measurement's status goes only to its owner's key with `results:read_private`, as its results do.
 */
export async function statusCheckRoutes(fastify: FastifyInstance, opts: StatusCheckRouteOptions): Promise<void> {
  const { pool, reader } = opts;

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
      const rows = await newestResultsPerProbe(pool, id, options.lookback);
      const sources = new Map(rows.map((r) => [r.prb_id, probeSource(r.country_code)]));
      const answer = statusCheck(rows.map((r) => ({ seq: r.seq, result: JSON.parse(r.body) as UntypedResult })), options, sources);
      reply.header("x-ripe-atlas-global-alert", answer.global_alert ? "1" : "0").header("cache-control", "no-store");
      if (q.format === "prometheus") return reply.type("text/plain; version=0.0.4; charset=utf-8").send(statusCheckPrometheus(id, answer));
      return answer;
    },
  );
}
