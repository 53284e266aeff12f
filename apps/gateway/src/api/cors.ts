import type { FastifyInstance, FastifyRequest } from "fastify";
import cors, { type FastifyCorsOptions } from "@fastify/cors";
import { apiKeyOf } from "../access/api-keys.js";

const COMMON: FastifyCorsOptions = {
  methods: ["GET", "HEAD", "POST", "DELETE"],
  allowedHeaders: ["authorization", "content-type"],
  // Browser scripts may read which parameters were ignored, a download's file name, when to retry
  // and a status check's global alert.
  exposedHeaders: ["warning", "content-disposition", "retry-after", "x-ripe-atlas-global-alert"],
  maxAge: 600,
};

/** Whether a request (or the request a preflight announces) carries an API key. */
function keyed(request: FastifyRequest): boolean {
  if (apiKeyOf(request.query, request.headers.authorization) !== undefined) return true;
  const announced = request.headers["access-control-request-headers"];
  return typeof announced === "string" && /(^|,)\s*authorization\s*(,|$)/i.test(announced);
}

/**
 * The CORS policy (`@fastify/cors`): public reads are open to scripts of any origin; requests with
 * a key (`?key=` or `Authorization`), and their preflights, only to the origins allowed
 * (`GATEWAY_CORS_ORIGINS`) — never `*`, so another site cannot use a key a browser holds.
 */
export async function installCors(fastify: FastifyInstance, allowedOrigins: readonly string[]): Promise<void> {
  const allowed = new Set(allowedOrigins);
  await fastify.register(cors, {
    delegator: (request: FastifyRequest, callback: (err: Error | null, options: FastifyCorsOptions) => void) => {
      if (!keyed(request)) return callback(null, { ...COMMON, origin: "*" });
      const origin = request.headers.origin;
      callback(null, { ...COMMON, origin: origin !== undefined && allowed.has(origin) ? origin : false });
    },
  });
}
