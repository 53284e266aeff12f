import type { FastifyInstance } from "fastify";
import { ProbeRegistration, type ProbeRegistration as Registration } from "@probestream/types";
import type { Pool } from "@probestream/db";
import { HttpError } from "@probestream/service-kit";
import { hashSecret, newSecret, safeEqual, type ProbeAuthenticator } from "../probe-auth.js";

export interface RegisterRouteOptions {
  pool: Pool;
  auth: ProbeAuthenticator;
  /** Bearer token of the probe-host administrator; registration is off without one. */
  adminToken: string | undefined;
}

const UPSERT = `
  INSERT INTO probes AS p (id, secret_hash, asn_v4, prefix_v4, country_code, address_v4, address_v6,
                           latitude, longitude, description)
  VALUES (COALESCE($1, nextval('probes_id_seq')), $2, $3, $4, $5, $6, $7, $8, $9, COALESCE($10, ''))
  ON CONFLICT (id) DO UPDATE SET
    secret_hash = EXCLUDED.secret_hash,
    asn_v4 = COALESCE(EXCLUDED.asn_v4, p.asn_v4),
    prefix_v4 = COALESCE(EXCLUDED.prefix_v4, p.prefix_v4),
    country_code = COALESCE(EXCLUDED.country_code, p.country_code),
    address_v4 = COALESCE(EXCLUDED.address_v4, p.address_v4),
    address_v6 = COALESCE(EXCLUDED.address_v6, p.address_v6),
    latitude = COALESCE(EXCLUDED.latitude, p.latitude),
    longitude = COALESCE(EXCLUDED.longitude, p.longitude),
    description = CASE WHEN $10::text IS NULL THEN p.description ELSE EXCLUDED.description END
  WHERE $1::int IS NOT NULL
  RETURNING id`;

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
      const b = request.body;
      const secret = newSecret();
      const params = [
        b.prb_id ?? null,
        hashSecret(secret),
        b.asn_v4 ?? null,
        b.prefix_v4 ?? null,
        b.country_code ?? null,
        b.address_v4 ?? null,
        b.address_v6 ?? null,
        b.latitude ?? null,
        b.longitude ?? null,
        b.description ?? null,
      ];
      // A sequence-chosen id may already be taken by an explicitly numbered probe: draw again.
      for (let attempt = 0; attempt < 100; attempt++) {
        const { rows } = await opts.pool.query<{ id: number }>(UPSERT, params);
        const id = rows[0]?.id;
        if (id !== undefined) {
          opts.auth.forget(id);
          return reply.status(201).send({ prb_id: id, secret });
        }
      }
      throw new HttpError(409, "Could not allocate a probe id");
    },
  );
}
