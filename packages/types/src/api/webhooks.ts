import { Type, type Static, type TSchema } from "typebox";
import { SubscriptionParams } from "../stream.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * Subscription parameters a webhook does not take: they shape a socket's frames or its history
 * (a webhook's history is its position), or enrich events at sending (enrichProbes).
 */
export const WEBHOOK_STREAM_ONLY_PARAMETERS = [
  "buffering", "sendBacklog", "sendPositions", "startTime", "endTime", "stopTime", "speed", "enrichProbes", "client",
] as const;

/** What a delivery carries (`event` in its body, `X-Probestream-Event`): its stream type's events, or a test. */
export const WEBHOOK_EVENT_KINDS = ["result", "alert", "probestatus", "metadata"] as const;
export type WebhookEventKind = (typeof WEBHOOK_EVENT_KINDS)[number];

/**
 * What selects the events of a probestatus or metadata webhook: a probe's connections, a
 * measurement's (or a result type's) events. The result filters select nothing in those streams,
 * so a webhook refuses them rather than storing a filter that does not filter.
 */
export const WEBHOOK_EVENT_PARAMETERS = { probestatus: ["prb"], metadata: ["msm", "type"] } as const;

const WebhookUrl = Type.String({
  minLength: 8,
  maxLength: 2048,
  pattern: "^[Hh][Tt][Tt][Pp][Ss]?://",
  description: "Where batches are POSTed: an http or https URL (private, loopback and link-local addresses are refused unless the server allows them)",
});
const WebhookSecret = Type.String({
  minLength: 16,
  maxLength: 256,
  description: "Shared secret of the HMAC-SHA256 signature (`X-Probestream-Signature`); stored encrypted, never shown again",
});
const Description = Type.String({ maxLength: 256 });

export const WebhookCreateRequest = Type.Object(
  {
    url: WebhookUrl,
    secret: WebhookSecret,
    subscription: SubscriptionParams,
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);
export type WebhookCreateRequest = Static<typeof WebhookCreateRequest>;

export const WebhookUpdateRequest = Type.Object(
  {
    url: Type.Optional(WebhookUrl),
    secret: Type.Optional(WebhookSecret),
    subscription: Type.Optional(SubscriptionParams),
    description: Type.Optional(Description),
    state: Type.Optional(Type.Enum(["active", "paused"], {
      description: "`paused` stops deliveries; `active` resumes a paused or failing webhook from its position",
    })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type WebhookUpdateRequest = Static<typeof WebhookUpdateRequest>;

export const Webhook = Type.Object({
  id: Type.Integer(),
  url: Type.String(),
  subscription: Type.Record(Type.String(), Type.Unknown(), { description: "The stream subscription, as given" }),
  description: Type.String(),
  state: Type.Enum(["active", "paused", "failing"], {
    description: "`failing`: deliveries failed for longer than the retry window; resume with `state: active`",
  }),
  position: Type.String({ description: "Stream position delivered and acknowledged up to" }),
  retrying_since: Nullable(Type.Integer({ description: "Unix seconds of the first failed attempt of the batch being retried" })),
  last_error: Nullable(Type.String()),
  last_success_at: Nullable(Type.Integer({ description: "Unix seconds" })),
  created_at: Type.Integer({ description: "Unix seconds" }),
  updated_at: Type.Integer({ description: "Unix seconds" }),
});
export type Webhook = Static<typeof Webhook>;

export const WebhookDelivery = Type.Object({
  id: Type.Integer(),
  delivery_id: Type.String({ description: "The same for every attempt of one batch (`X-Probestream-Delivery`)" }),
  attempt: Type.Integer({ minimum: 1 }),
  event: Type.Enum([...WEBHOOK_EVENT_KINDS, "test"]),
  first_position: Nullable(Type.String()),
  last_position: Nullable(Type.String()),
  results: Type.Integer({ minimum: 0 }),
  outcome: Type.Enum(["delivered", "failed"]),
  status_code: Nullable(Type.Integer()),
  latency_ms: Type.Integer(),
  error: Nullable(Type.String()),
  attempted_at: Type.Number({ description: "Unix seconds, with milliseconds" }),
});
export type WebhookDelivery = Static<typeof WebhookDelivery>;
