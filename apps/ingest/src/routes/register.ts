import type { FastifyInstance } from "fastify";
import { ProbeRegistration, type ProbeRegistration as Registration } from "@probestream/types";
import { registerProbe, type Pool } from "@probestream/db";
import { HttpError } from "@probestream/service-kit";
import { safeEqual, type ProbeAuthenticator } from "../probe-auth.js";

export interface RegisterRouteOptions {
  pool: Pool;
  auth: ProbeAuthenticator;
  /** Bearer token of the probe-host administrator; registration is off without one. */
  adminToken: string | undefined;
}

/**
 * `POST /probe/register`: issues a probe its secret (a new probe, or a new secret for a known one).
 * Only the secret's hash is kept; the secret is shown once, in this answer.
 */
export async function registerRoute(fastify: FastifyInstance, opts: RegisterRouteOptions): Promise<void> {
  fastify.post<{ Body: Registration }>(
    "/probe/register",
    {
      schema: {
        body: ProbeRegistration,
        headers: {
          type: "object",
          properties: { authorization: { type: "string", description: "Bearer <admin token>" } },
        },
      },
    },
    async (request, reply) => {
      const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? "")?.[1];
      if (!opts.adminToken) throw new HttpError(403, "Probe registration is disabled: INGEST_ADMIN_TOKEN is not set");
      if (!token || !safeEqual(token, opts.adminToken)) {
        throw new HttpError(401, "Registration needs `Authorization: Bearer <admin token>`", [
          { source: { pointer: "/headers/authorization" }, detail: "missing or wrong token" },
        ]);
      }
      const issued = await registerProbe(opts.pool, request.body);
      opts.auth.forget(issued.prb_id);
      return reply.status(201).send(issued);
    },
  );
}
