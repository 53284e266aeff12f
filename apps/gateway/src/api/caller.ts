import type { FastifyReply, FastifyRequest } from "fastify";
import { STATUS_CODES } from "node:http";
import { HttpError } from "@probestream/service-kit";
import { apiKeyOf, UnknownApiKeyError, type ApiKeys, type Caller } from "../access/api-keys.js";

/** RIPE Atlas error code for a key that does not exist. */
export const UNKNOWN_KEY_CODE = 104;

/** Answers with the RIPE Atlas error shape, including its numeric `code` when there is one. */
export function sendError(reply: FastifyReply, status: number, detail: string, code?: number): FastifyReply {
  const error: Record<string, unknown> = { status };
  if (code !== undefined) error.code = code;
  Object.assign(error, { title: STATUS_CODES[status] ?? "Error", detail });
  return reply.status(status).send({ error });
}

/**
 * The caller behind the request's key (`?key=` or `Authorization: Key ...`), anonymous without
 * one; null when the key is unknown, after answering 403 as RIPE Atlas does.
 */
export async function callerOf(keys: ApiKeys, request: FastifyRequest, reply: FastifyReply): Promise<Caller | null> {
  try {
    return await keys.resolve(apiKeyOf(request.query, request.headers.authorization));
  } catch (err) {
    if (!(err instanceof UnknownApiKeyError)) throw err;
    sendError(reply, 403, err.message, UNKNOWN_KEY_CODE);
    return null;
  }
}

/** Refuses a caller without a key carrying `right`. */
export function requireRight(caller: Caller, right: string): asserts caller is Caller & { userId: number } {
  if (caller.userId === null) throw new HttpError(401, `This needs an API key with the right ${right}`);
  if (!caller.rights.has(right)) throw new HttpError(403, `The API key lacks the right ${right}`);
}
