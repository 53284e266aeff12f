import { lookup } from "node:dns/promises";
import type { FastifyInstance } from "fastify";
import { HttpError } from "@probestream/service-kit";
import { StreamHistory, newestEventPosition, type Pool, type WebhookRow } from "@probestream/db";
import {
  Rights,
  ApiError, IdParams, KeyQuery, Page, PagedQuery, Webhook, WebhookCreateRequest, WebhookDelivery, WebhookUpdateRequest,
  WEBHOOK_EVENT_PARAMETERS, WEBHOOK_STREAM_ONLY_PARAMETERS, parseSubscription, type StreamType,
  type IdParams as Id, type PagedQuery as ListQuery, type WebhookCreateRequest as CreateBody, type WebhookUpdateRequest as UpdateBody,
} from "@probestream/types";
import { requireRight } from "./caller.js";
import { pageOf, pageWindow } from "./pagination.js";
import { notFound, pageOf as examplePage, webhookDeliveryExample, webhookExample } from "./examples.js";
import { newBatch } from "../webhooks/delivery.js";
import { isPublicAddress, RefusedTargetError } from "../webhooks/target-guard.js";
import type { Webhooks } from "../webhooks/index.js";

export interface WebhookRoutesOptions {
  pool: Pool;
  /** Absent when the server has no key to seal secrets with: every route answers 503. */
  webhooks?: Webhooks;
}

const present = (w: WebhookRow): Webhook => ({
  id: w.id,
  url: w.url,
  subscription: w.subscription,
  description: w.description,
  state: w.state,
  position: w.position,
  retrying_since: w.retrySince === null ? null : Math.floor(w.retrySince / 1000),
  last_error: w.lastError,
  last_success_at: w.lastSuccessAt,
  created_at: w.createdAt,
  updated_at: w.updatedAt,
});

const invalid = (pointer: string, detail: string) => new HttpError(400, `${pointer.slice(1).replace(/\//g, ".")}: ${detail}`, [{ source: { pointer }, detail }]);

/**
 * The stream's subscription, checked by the stream's own rules, minus what only a socket takes;
 * answers it to store (without `resumeFrom`) and the position to start after, if one was given.
 */
function checkSubscription(params: Record<string, unknown>, creating: boolean): { stored: Record<string, unknown>; streamType: StreamType; resumeFrom?: string } {
  for (const name of WEBHOOK_STREAM_ONLY_PARAMETERS) {
    if (params[name] !== undefined) throw invalid(`/subscription/${name}`, "applies to streams only; a webhook does not take it");
  }
  if (!creating && params.resumeFrom !== undefined) {
    throw invalid("/subscription/resumeFrom", "is taken when a webhook is created only; a webhook goes on from its own position");
  }
  const parsed = parseSubscription(params);
  if (!parsed.ok) throw invalid(`/subscription${parsed.error.parameter ? `/${parsed.error.parameter}` : ""}`, parsed.error.message);
  const { streamType } = parsed.value;
  if (streamType === "probestatus" || streamType === "metadata") {
    const allowed: readonly string[] = WEBHOOK_EVENT_PARAMETERS[streamType];
    const misplaced = Object.keys(params).find((k) => params[k] !== undefined && !allowed.includes(k) && !["stream_type", "streamType", "resumeFrom"].includes(k));
    if (misplaced !== undefined) throw invalid(`/subscription/${misplaced}`, `does not apply to ${streamType} webhooks (they take ${allowed.join(", ")})`);
  }
  const { resumeFrom, ...stored } = params;
  return { stored, streamType, resumeFrom: resumeFrom as string | undefined };
}

/** The log a stream type is read from; its positions mean nothing in another. */
const logOf = (streamType: StreamType) => (streamType === "alert" ? "result" : streamType);

function streamTypeOf(w: WebhookRow): StreamType {
  const parsed = parseSubscription(w.subscription);
  return parsed.ok ? parsed.value.streamType : "result";
}

/** Refuses a target the sender would refuse, naming `url`; a host name is resolved and each of its addresses checked. */
async function checkTarget(webhooks: Webhooks, text: string, allowPrivate: boolean): Promise<void> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid("/url", "is not a URL");
  }
  if (url.username !== "" || url.password !== "") throw invalid("/url", "must not carry a user name or password");
  try {
    webhooks.sender.checkTarget(url);
  } catch (err) {
    if (err instanceof RefusedTargetError) throw invalid("/url", err.message);
    throw err;
  }
  if (allowPrivate) return;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = await lookup(host, { all: true }).catch(() => null);
  if (addresses === null) throw invalid("/url", `the host ${host} does not resolve`);
  const bad = addresses.find((a) => !isPublicAddress(a.address));
  if (bad) throw invalid("/url", new RefusedTargetError(bad.address).message);
}

/**
 * `/api/v2/webhooks/`: results pushed to a user's URL (right `webhooks:manage`). A webhook takes
 * the stream's subscription and delivers what the key that created it may read; the API manages
 * them, a worker (webhooks/worker.ts) delivers them.
 */
export async function webhookRoutes(fastify: FastifyInstance, opts: WebhookRoutesOptions): Promise<void> {
  const refused = {
    401: { description: "No key", schema: ApiError },
    403: { description: "The key lacks webhooks:manage", schema: ApiError },
    503: { description: "Webhooks are not configured on this server", schema: ApiError },
  };
  const missing = { 404: { description: "No such webhook", schema: ApiError, example: notFound("Webhook 3 does not exist") } };
  const history = new StreamHistory(opts.pool);

  const setup = (caller: Parameters<typeof requireRight>[0]) => {
    requireRight(caller, Rights.manageWebhooks);
    if (!opts.webhooks) throw new HttpError(503, "Webhooks are not configured on this server (it has no WEBHOOK_SECRET_KEY)");
    return { userId: caller.userId, keyId: caller.keyId!, webhooks: opts.webhooks };
  };
  const found = async (webhooks: Webhooks, userId: number, id: number) => {
    const w = await webhooks.store.get(userId, id);
    if (!w) throw new HttpError(404, `Webhook ${id} does not exist`);
    return w;
  };

  fastify.post<{ Body: CreateBody }>(
    "/api/v2/webhooks/",
    {
      schema: { body: WebhookCreateRequest, querystring: KeyQuery },
      config: {
        openapi: {
          summary: "Create a webhook: batches of the subscription's events POSTed to a URL, signed, at least once, in order",
          description: "The subscription is the stream's (`atlas_subscribe` parameters) without the socket-only ones. Stream types: " +
            "`result` (results, as `atlas_result`), `alert` (the alert stream's `atlas_alert` events, computed from the stored results " +
            "with the status check's parameters), `probestatus` (`atlas_probestatus`; takes `prb`), `metadata` (`atlas_metadata`; " +
            "takes `msm`, `type`). The body's `event` names the type, `results` holds the events. " +
            "`resumeFrom` starts after that position of the type's log (default: what is stored from now on). Each POST carries " +
            "`X-Probestream-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + \".\" + body)>`, `X-Probestream-Webhook`, " +
            "`X-Probestream-Delivery`, `X-Probestream-First-Position` and `-Last-Position`. A 2xx acknowledges the batch; anything " +
            "else is retried with exponential back-off (honouring `Retry-After`) until the retry window runs out, then the webhook is `failing`.",
          tag: "webhooks",
          responses: { 201: { description: "Created", schema: Webhook, example: webhookExample }, ...refused },
        },
      },
    },
    async (request, reply) => {
      const { userId, keyId, webhooks } = setup(request.caller);
      const { stored, streamType, resumeFrom } = checkSubscription(request.body.subscription, true);
      await checkTarget(webhooks, request.body.url, webhooks.sender.allowsPrivateTargets);
      const created = await webhooks.store.create(userId, keyId, {
        url: request.body.url,
        secretSealed: webhooks.box.seal(request.body.secret, userId),
        subscription: stored,
        description: request.body.description ?? "",
        // Positions are of the log the stream type is read from: results (result, alert streams) or its events.
        position: resumeFrom ?? (streamType === "probestatus" || streamType === "metadata"
          ? await newestEventPosition(opts.pool, streamType)
          : await history.newestPosition()),
      });
      await webhooks.changed(created.id);
      return reply.status(201).send(present(created));
    },
  );

  fastify.get<{ Querystring: ListQuery }>(
    "/api/v2/webhooks/",
    {
      schema: { querystring: PagedQuery },
      config: {
        openapi: {
          summary: "The caller's user's webhooks and their health, paginated",
          tag: "webhooks",
          responses: { 200: { description: "A page of webhooks", schema: Page(Webhook), example: examplePage(webhookExample) }, ...refused },
        },
      },
    },
    async (request) => {
      const { userId, webhooks } = setup(request.caller);
      const w = pageWindow(request.query);
      const all = await webhooks.store.list(userId);
      return pageOf(request, w, all.length, all.slice(w.offset, w.offset + w.limit).map(present));
    },
  );

  fastify.get<{ Params: Id }>(
    "/api/v2/webhooks/:id/",
    {
      schema: { params: IdParams, querystring: KeyQuery },
      config: { openapi: { summary: "One webhook and its health", tag: "webhooks", responses: { 200: { description: "The webhook", schema: Webhook, example: webhookExample }, ...missing, ...refused } } },
    },
    async (request) => {
      const { userId, webhooks } = setup(request.caller);
      return present(await found(webhooks, userId, request.params.id));
    },
  );

  fastify.patch<{ Params: Id; Body: UpdateBody }>(
    "/api/v2/webhooks/:id/",
    {
      schema: { params: IdParams, body: WebhookUpdateRequest, querystring: KeyQuery },
      config: {
        openapi: {
          summary: "Change a webhook: pause or resume it (`state`), its URL, secret, subscription or description",
          description: "`state: active` resumes a paused or failing webhook from its position: what was stored meanwhile is delivered.",
          tag: "webhooks",
          responses: { 200: { description: "The webhook as changed", schema: Webhook, example: webhookExample }, ...missing, ...refused },
        },
      },
    },
    async (request) => {
      const { userId, webhooks } = setup(request.caller);
      const body = request.body;
      let subscription: Record<string, unknown> | undefined;
      if (body.subscription !== undefined) {
        const checked = checkSubscription(body.subscription, false);
        const current = await found(webhooks, userId, request.params.id);
        // Its position is in the log of its stream type: another type would read another log from it.
        if (logOf(checked.streamType) !== logOf(streamTypeOf(current))) {
          const key = body.subscription.stream_type !== undefined ? "stream_type" : "streamType";
          throw invalid(`/subscription/${key}`, "cannot move a webhook to a stream of another log (results, probe status, metadata); create another webhook");
        }
        subscription = checked.stored;
      }
      if (body.url !== undefined) await checkTarget(webhooks, body.url, webhooks.sender.allowsPrivateTargets);
      const changed = await webhooks.store.update(userId, request.params.id, {
        url: body.url,
        secretSealed: body.secret === undefined ? undefined : webhooks.box.seal(body.secret, userId),
        subscription,
        description: body.description,
        state: body.state,
      });
      if (!changed) throw new HttpError(404, `Webhook ${request.params.id} does not exist`);
      await webhooks.changed(changed.id);
      return present(changed);
    },
  );

  fastify.delete<{ Params: Id }>(
    "/api/v2/webhooks/:id/",
    {
      schema: { params: IdParams, querystring: KeyQuery },
      config: { openapi: { summary: "Delete a webhook", tag: "webhooks", responses: { 204: { description: "Deleted" }, ...missing, ...refused } } },
    },
    async (request, reply) => {
      const { userId, webhooks } = setup(request.caller);
      if (!(await webhooks.store.remove(userId, request.params.id))) throw new HttpError(404, `Webhook ${request.params.id} does not exist`);
      return reply.status(204).send();
    },
  );

  fastify.get<{ Params: Id; Querystring: ListQuery }>(
    "/api/v2/webhooks/:id/deliveries/",
    {
      schema: { params: IdParams, querystring: PagedQuery },
      config: {
        openapi: {
          summary: "The webhook's recent delivery attempts, newest first: outcome, response code, latency",
          tag: "webhooks",
          responses: { 200: { description: "A page of attempts", schema: Page(WebhookDelivery), example: examplePage(webhookDeliveryExample) }, ...missing, ...refused },
        },
      },
    },
    async (request) => {
      const { userId, webhooks } = setup(request.caller);
      await found(webhooks, userId, request.params.id);
      const w = pageWindow(request.query);
      const { total, attempts } = await webhooks.store.attempts(request.params.id, w.offset, w.limit);
      return pageOf(request, w, total, attempts.map((a): WebhookDelivery => ({
        id: a.id, delivery_id: a.deliveryId, attempt: a.attempt, event: a.event as WebhookDelivery["event"], first_position: a.firstPosition,
        last_position: a.lastPosition, results: a.results, outcome: a.outcome, status_code: a.statusCode, latency_ms: a.latencyMs,
        error: a.error, attempted_at: a.attemptedAt / 1000,
      })));
    },
  );

  fastify.post<{ Params: Id }>(
    "/api/v2/webhooks/:id/test/",
    {
      schema: { params: IdParams, querystring: KeyQuery },
      config: {
        openapi: {
          summary: "Send a test event now: a signed POST with no results (`X-Probestream-Event: test`); answers the attempt",
          tag: "webhooks",
          responses: { 200: { description: "The attempt", schema: WebhookDelivery, example: { ...webhookDeliveryExample, event: "test", results: 0, first_position: null, last_position: null } }, ...missing, ...refused },
        },
      },
    },
    async (request) => {
      const { userId, webhooks } = setup(request.caller);
      const webhook = await found(webhooks, userId, request.params.id);
      const batch = newBatch(webhook.id, "test", []);
      const { outcome, recorded } = await webhooks.poster.attempt(webhook, batch, 1);
      const id = await recorded;
      return {
        id, delivery_id: batch.deliveryId, attempt: 1, event: "test", first_position: null, last_position: null, results: 0,
        outcome: outcome.ok ? "delivered" : "failed", status_code: outcome.statusCode, latency_ms: Math.round(outcome.latencyMs),
        error: outcome.error, attempted_at: Date.now() / 1000,
      } satisfies WebhookDelivery;
    },
  );
}
