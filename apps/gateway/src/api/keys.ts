import type { FastifyInstance } from "fastify";
import type { ApiKeyStore } from "@probestream/db";
import { HttpError } from "@probestream/service-kit";
import {
  Rights,
  ApiError, ApiKey, ApiKeyCreateRequest, CurrentApiKey, IdParams, KeyQuery, Page, PagedQuery,
  type ApiKeyCreateRequest as CreateBody, type PagedQuery as ListQuery,
} from "@probestream/types";
import { apiKeyOf } from "../access/api-keys.js";
import { shaped, shapingOf, sortOf, type ResourceShape } from "./lists.js";
import { pageOf, pageWindow } from "./pagination.js";
import { keyExample, notFound, pageOf as examplePage } from "./examples.js";

const SHAPE: ResourceShape = {
  always: ["id"],
  optional: [],
  known: new Set(["id", "label", "rights", "created_at"]),
  sortable: ["id", "label", "created_at"],
};

export interface KeyRoutesOptions {
  store: ApiKeyStore;
}

/**
 * `/api/v2/keys/`: a key's user manages their keys. A new key gets at most the rights of the key
 * that creates it; a key revokes itself, and other keys only with `keys:manage` (so a leaked
 * read-only key cannot lock its owner out). The first key of a user comes from the `create-key`
 * command (see README).
 */
export async function keyRoutes(fastify: FastifyInstance, opts: KeyRoutesOptions): Promise<void> {
  const { store } = opts;
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
          responses: { 201: { description: "Created", schema: ApiKey, example: { ...keyExample, key: "q3Yh...9Tw" } }, ...refused },
        },
      },
    },
    async (request, reply) => {
      const { caller } = request;
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

  fastify.get<{ Querystring: ListQuery }>(
    "/api/v2/keys/",
    {
      schema: { querystring: PagedQuery },
      config: {
        openapi: {
          summary: "The caller's user's active keys (without the keys themselves), paginated",
          tag: "keys",
          responses: { 200: { description: "A page of keys", schema: Page(ApiKey), example: examplePage(keyExample) }, ...refused },
        },
      },
    },
    async (request) => {
      const { caller } = request;
      const q = request.query;
      const shaping = shapingOf(q, SHAPE);
      const order = sortOf(q.sort, SHAPE, "id");
      const w = pageWindow(q);
      // A user's keys are few: sorted and paged here.
      const all = (await store.list(await userOf(caller))).map((k) => ({ id: k.id, label: k.label, rights: k.rights, created_at: k.createdAt }));
      const byField = (a: (typeof all)[number], b: (typeof all)[number]) => {
        for (const o of order) {
          const x = a[o.field as keyof typeof a];
          const y = b[o.field as keyof typeof b];
          if (x !== y) return (x < y ? -1 : 1) * (o.descending ? -1 : 1);
        }
        return a.id - b.id;
      };
      const page = all.sort(byField).slice(w.offset, w.offset + w.limit);
      return pageOf(request, w, all.length, page.map((k) => shaped(k, shaping)));
    },
  );

  fastify.get(
    "/api/v2/keys/current/",
    {
      schema: { querystring: KeyQuery },
      config: {
        openapi: {
          summary: "The key the request is made with, its rights and its user: checks a key without changing anything",
          tag: "keys",
          responses: { 200: { description: "The calling key", schema: CurrentApiKey, example: { ...keyExample, user: "alice" } }, ...refused },
        },
      },
    },
    async (request) => {
      await userOf(request.caller);
      const holder = await store.holderOf(apiKeyOf(request.query, request.headers.authorization)!);
      // Revoked between the request's arrival and here.
      if (!holder) throw new HttpError(401, "This needs an API key");
      return { id: holder.keyId, label: holder.label, rights: holder.rights, created_at: holder.createdAt, user: holder.userName };
    },
  );

  fastify.delete<{ Params: IdParams }>(
    "/api/v2/keys/:id/",
    {
      schema: { params: IdParams, querystring: KeyQuery },
      config: {
        openapi: {
          summary: "Revoke one of the caller's user's keys: the calling key itself, or another with the right keys:manage",
          tag: "keys",
          responses: { 204: { description: "Revoked" }, 404: { description: "No such key", schema: ApiError, example: notFound("Key 7 does not exist") }, ...refused },
        },
      },
    },
    async (request, reply) => {
      const { caller } = request;
      const userId = await userOf(caller);
      if (request.params.id !== caller.keyId && !caller.rights.has(Rights.manageKeys)) {
        throw new HttpError(403, `Revoking another key needs the right ${Rights.manageKeys}`);
      }
      if (!(await store.revoke(userId, request.params.id))) {
        throw new HttpError(404, `Key ${request.params.id} does not exist`);
      }
      return reply.status(204).send();
    },
  );
}
