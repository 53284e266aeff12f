import { Type, type Static } from "typebox";
import { RESULT_TYPES, isResultType, type ResultType } from "./results/index.js";

/** socket.io / WebSocket event names, as RIPE Atlas clients use them. */
export const StreamEvents = {
  subscribe: "atlas_subscribe",
  unsubscribe: "atlas_unsubscribe",
  subscribed: "atlas_subscribed",
  unsubscribed: "atlas_unsubscribed",
  result: "atlas_result",
  probeStatus: "atlas_probestatus",
  metadata: "atlas_metadata",
  error: "atlas_error",
  backlogSent: "atlas_backlog_sent",
  replayFinished: "atlas_replay_finished",
} as const;

export type StreamEventName = (typeof StreamEvents)[keyof typeof StreamEvents];

export const STREAM_TYPES = ["result", "probestatus", "metadata"] as const;

export type StreamType = (typeof STREAM_TYPES)[number];

const PositiveId = Type.Union([
  Type.Integer({ minimum: 1 }),
  Type.String({ pattern: "^[1-9][0-9]*$" }),
]);

/**
 * Parameters of `atlas_subscribe` / `atlas_unsubscribe`. Both spellings of the stream
 * type exist in the wild (`stream_type` from the socket.io era, `streamType` from the
 * WebSocket docs); unknown keys are rejected so that a typo does not silently widen
 * a subscription.
 */
export const SubscriptionParams = Type.Object(
  {
    stream_type: Type.Optional(Type.Enum([...STREAM_TYPES])),
    streamType: Type.Optional(Type.Enum([...STREAM_TYPES])),
    msm: Type.Optional(PositiveId),
    prb: Type.Optional(PositiveId),
    type: Type.Optional(Type.Enum([...RESULT_TYPES])),
    buffering: Type.Optional(Type.Boolean()),
    sendBacklog: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export type SubscriptionParams = Static<typeof SubscriptionParams>;

/** Payload of `atlas_error`: what was wrong and, when it is one parameter, which. */
export const AtlasError = Type.Object(
  {
    message: Type.String(),
    parameter: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export type AtlasError = Static<typeof AtlasError>;

export interface NormalizedSubscription {
  streamType: StreamType;
  msm?: number;
  prb?: number;
  type?: ResultType;
  buffering: boolean;
  sendBacklog: boolean;
}

export type SubscriptionParseResult =
  | { ok: true; value: NormalizedSubscription }
  | { ok: false; error: AtlasError };

const KNOWN_PARAMETERS = new Set(Object.keys(SubscriptionParams.properties));

function isStreamType(value: unknown): value is StreamType {
  return typeof value === "string" && (STREAM_TYPES as readonly string[]).includes(value);
}

function parsePositiveId(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  }
  if (typeof value === "string" && /^[1-9][0-9]*$/.test(value)) {
    const parsed = Number(value);
    return Number.isSafeInteger(parsed) ? parsed : undefined;
  }
  return undefined;
}

function reject(parameter: string, message: string): SubscriptionParseResult {
  return { ok: false, error: { message: `${parameter}: ${message}`, parameter } };
}

/**
 * Checks subscription parameters and turns them into one canonical shape: the stream
 * type under `streamType`, ids as numbers, flags defaulted to false.
 */
export function parseSubscription(input: unknown): SubscriptionParseResult {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, error: { message: "subscription parameters must be an object" } };
  }
  const params = input as Record<string, unknown>;

  for (const key of Object.keys(params)) {
    if (!KNOWN_PARAMETERS.has(key)) {
      return { ok: false, error: { message: `unknown parameter "${key}"`, parameter: key } };
    }
  }

  const hasSnake = params.stream_type !== undefined;
  const hasCamel = params.streamType !== undefined;
  if (hasSnake && hasCamel) {
    return {
      ok: false,
      error: { message: "give only one of stream_type and streamType", parameter: "streamType" },
    };
  }
  if (!hasSnake && !hasCamel) {
    return { ok: false, error: { message: "stream_type is required", parameter: "stream_type" } };
  }
  const streamTypeKey = hasSnake ? "stream_type" : "streamType";
  const streamType = params[streamTypeKey];
  if (!isStreamType(streamType)) {
    return reject(streamTypeKey, `must be one of ${STREAM_TYPES.join(", ")}`);
  }

  const value: NormalizedSubscription = {
    streamType,
    buffering: false,
    sendBacklog: false,
  };

  for (const key of ["msm", "prb"] as const) {
    if (params[key] === undefined) continue;
    const id = parsePositiveId(params[key]);
    if (id === undefined) return reject(key, "must be a positive integer");
    value[key] = id;
  }

  if (params.type !== undefined) {
    if (!isResultType(params.type)) return reject("type", `must be one of ${RESULT_TYPES.join(", ")}`);
    value.type = params.type;
  }

  for (const key of ["buffering", "sendBacklog"] as const) {
    if (params[key] === undefined) continue;
    if (typeof params[key] !== "boolean") return reject(key, "must be a boolean");
    value[key] = params[key];
  }

  return { ok: true, value };
}
