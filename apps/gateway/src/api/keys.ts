import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { ApiKeyStore } from "@probestream/db";
import { HttpError } from "@probestream/service-kit";
import { ApiError, ApiKey, ApiKeyCreateRequest, IdParams, KeyQuery, type ApiKeyCreateRequest as CreateBody } from "@probestream/types";
import type { ApiKeys } from "../access/api-keys.js";
import { callerOf } from "./caller.js";

export interface KeyRoutesOptions {
  store: ApiKeyStore;
  keys: ApiKeys;
}

/**
 * `/api/v2/keys/`: a key's user manages their keys. A new key gets at most the rights of the key
 * that creates it; the first key of a user comes from the `create-key` command (see README).
 */
export async function keyRoutes(fastify: FastifyInstance, opts: KeyRoutesOptions): Promise<void> {
  const { store, keys } = opts;
  const refused = { 401: { description: "No key", schema: ApiError }, 403: { description: "Not allowed", schema: ApiError } };

  const userOf = async (caller: { userId: number | null }) => {
    if (caller.userId === null) throw new HttpError(401, "This needs an API key");
    return caller.userId;
  };

  fastify.post<{ Body: CreateBody }>(
    "/api/v2/keys/",
    {
      schema: { body: ApiKeyCreateRequest, querystring: KeyQuery },
      config: {
        openapi: {
          summary: "Create a key for the caller's user, with some of the caller's rights; the key is shown only here",
          tag: "keys",
          responses: { 201: { description: "Created", schema: ApiKey }, ...refused },
        },
      },
    },
    async (request, reply) => {
      const caller = await callerOf(keys, request, reply);
      if (!caller) return reply;
      const userId = await userOf(caller);
      const beyond = request.body.rights.filter((r) => !caller.rights.has(r));
      if (beyond.length > 0) {
        throw new HttpError(403, `rights: the calling key lacks ${beyond.join(", ")}`, [
          { source: { pointer: "/rights" }, detail: `not held by the calling key: ${beyond.join(", ")}` },
        ]);
      }
      const issued = await store.issue(userId, request.body.rights, request.body.label ?? "");
      return reply.status(201).send({
        id: issued.id, label: issued.label, rights: issued.rights, created_at: issued.createdAt, key: issued.key,
      });
    },
  );

  fastify.get(
    "/api/v2/keys/",
    {
      schema: { querystring: KeyQuery },
      config: {
        openapi: {
          summary: "The caller's user's active keys (without the keys themselves)",
          tag: "keys",
          responses: { 200: { description: "Keys", schema: Type.Array(ApiKey) }, ...refused },
        },
      },
    },
    async (request, reply) => {
      const caller = await callerOf(keys, request, reply);
      if (!caller) return reply;
      const list = await store.list(await userOf(caller));
      return list.map((k) => ({ id: k.id, label: k.label, rights: k.rights, created_at: k.createdAt }));
    },
  );

  fastify.delete<{ Params: IdParams }>(
    "/api/v2/keys/:id/",
    {
      schema: { params: IdParams, querystring: KeyQuery },
      config: {
        openapi: {
          summary: "Revoke one of the caller's user's keys",
          tag: "keys",
          responses: { 204: { description: "Revoked" }, 404: { description: "No such key", schema: ApiError }, ...refused },
        },
      },
    },
    async (request, reply) => {
      const caller = await callerOf(keys, request, reply);
      if (!caller) return reply;
      if (!(await store.revoke(await userOf(caller), request.params.id))) {
        throw new HttpError(404, `Key ${request.params.id} does not exist`);
      }
      return reply.status(204).send();
    },
  );
}
