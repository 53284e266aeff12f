import type { FastifyInstance, FastifyRequest } from "fastify";
import { HttpError } from "@probestream/service-kit";
import { ANONYMOUS, apiKeyOf, type ApiKeys, type Caller } from "../access/api-keys.js";

/** RIPE Atlas error code for a key that does not exist. */
const UNKNOWN_KEY_CODE = 104;

declare module "fastify" {
  interface FastifyRequest {
    /** Who is asking, resolved once per request from `?key=` or `Authorization: Key ...`. */
    caller: Caller;
    /** Whether the request gave a key that does not exist (its caller is then anonymous). */
    keyRefused: boolean;
  }
}

/**
 * Resolves every request's caller once, as it arrives (rate limits count by it), on the whole
 * instance.
 */
export function resolveCallers(fastify: FastifyInstance, keys: ApiKeys): void {
  fastify.decorateRequest("caller", null as unknown as Caller);
  fastify.decorateRequest("keyRefused", false);
  fastify.addHook("onRequest", async (request) => {
    const caller = await keys.find(apiKeyOf(request.query, request.headers.authorization));
    request.caller = caller ?? ANONYMOUS;
    request.keyRefused = caller === null;
  });
}

/** Refuses a request whose key does not exist: 403 with RIPE's code, as RIPE Atlas does. */
export function refuseUnknownKey(request: FastifyRequest): void {
  if (request.keyRefused) throw new HttpError(403, "The provided API key does not exist", undefined, UNKNOWN_KEY_CODE);
}

/** Refuses, in the routes of `fastify`, requests whose key does not exist. */
export function refuseUnknownKeys(fastify: FastifyInstance): void {
  fastify.addHook("preHandler", async (request: FastifyRequest) => refuseUnknownKey(request));
}

/** Refuses a caller without a key carrying `right`. */
export function requireRight(caller: Caller, right: string): asserts caller is Caller & { userId: number } {
  if (caller.userId === null) throw new HttpError(401, `This needs an API key with the right ${right}`);
  if (!caller.rights.has(right)) throw new HttpError(403, `The API key lacks the right ${right}`);
}
