import { Type, type Static, type TSchema } from "typebox";
import { IdValue, MAX_ID, RESULT_TYPES, isResultType, type ResultType } from "./results/index.js";
import { canonicalIpAddress, parseIpPrefix } from "./ip-address.js";
import { StatusCheckParams, statusCheckOptions } from "./api/status-check.js";
import type { StatusCheckOptions } from "./status-check.js";
import { ajv } from "./validate.js";

/** socket.io / WebSocket event names, as RIPE Atlas clients use them. */
export { StreamEvents, type AlertEvent, type StreamEventName } from "./stream-events.js";

export const STREAM_TYPES = ["result", "probestatus", "metadata", "alert"] as const;

export type StreamType = (typeof STREAM_TYPES)[number];

/** A boolean, or its text from a query string. */
const Flag = Type.Union([Type.Boolean(), Type.Literal("true"), Type.Literal("false")]);

const UNIX_SECONDS = /^(0|[1-9][0-9]*)$/;
const SPEED = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;
/** A stream position: digits, as the server sends them (bounded so a position stays a short key). */
const STREAM_POSITION = /^[0-9]{1,40}$/;

const UnixSeconds = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: UNIX_SECONDS.source })]);

const IpAddressText = Type.Union([Type.String({ format: "ipv4" }), Type.String({ format: "ipv6" })]);

const IpPrefixText = Type.String({ pattern: "^[0-9A-Fa-f:.]+/(0|[1-9][0-9]{0,2})$" });

/** A top-level result field (`min`) or a dotted path into nested objects (`result.rcode`). */
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;

/** Field → value, as an object or (from a query string) its JSON text. */
function valueFilterSchema<V extends TSchema>(value: V) {
  return Type.Union([
    Type.Record(Type.String({ pattern: FIELD_PATH.source }), value, { minProperties: 1, additionalProperties: false }),
    Type.String(),
  ]);
}

/**
 * Schemas without their `default`: a subscription holds what the client gave, so that a validator
 * filling defaults (a webhook's body) does not give every stream the alert parameters; an alert
 * stream's defaults come from statusCheckOptions.
 */
function withoutDefaults<T extends Record<string, TSchema>>(properties: T): T {
  return Object.fromEntries(
    Object.entries(properties).map(([name, schema]) => {
      // Every own property copied, TypeBox's hidden modifiers (optional) included.
      const copy = Object.create(Object.getPrototypeOf(schema) as object, Object.getOwnPropertyDescriptors(schema)) as TSchema & { default?: unknown };
      delete copy.default;
      return [name, copy];
    }),
  ) as T;
}

/**
 * Parameters of `atlas_subscribe` / `atlas_unsubscribe`. Both spellings of the stream
 * type exist in the wild (`stream_type` from the socket.io era, `streamType` from the
 * WebSocket docs); unknown keys are rejected so that a typo does not silently widen
 * a subscription. Numbers may come as digit strings and booleans as "true"/"false" (the
 * HTTP transport reads a query string). The schema checks each value's shape;
 * {@link parseSubscription} also checks how parameters combine.
 */
export const SubscriptionParams = Type.Object(
  {
    stream_type: Type.Optional(Type.Enum([...STREAM_TYPES])),
    streamType: Type.Optional(Type.Enum([...STREAM_TYPES])),
    msm: Type.Optional(IdValue),
    prb: Type.Optional(IdValue),
    type: Type.Optional(Type.Enum([...RESULT_TYPES])),
    sourceAddress: Type.Optional(IpAddressText),
    sourcePrefix: Type.Optional(IpPrefixText),
    destinationAddress: Type.Optional(IpAddressText),
    destinationPrefix: Type.Optional(IpPrefixText),
    passThroughHost: Type.Optional(IpAddressText),
    passThroughPrefix: Type.Optional(IpPrefixText),
    enrichProbes: Type.Optional(Flag),
    equalsTo: Type.Optional(valueFilterSchema(Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
    greaterThan: Type.Optional(valueFilterSchema(Type.Number())),
    lessThan: Type.Optional(valueFilterSchema(Type.Number())),
    buffering: Type.Optional(Flag),
    sendBacklog: Type.Optional(Flag),
    sendPositions: Type.Optional(Flag),
    startTime: Type.Optional(UnixSeconds),
    endTime: Type.Optional(UnixSeconds),
    stopTime: Type.Optional(UnixSeconds),
    speed: Type.Optional(Type.Union([Type.Number({ minimum: 0 }), Type.String({ pattern: SPEED.source })])),
    resumeFrom: Type.Optional(Type.String({ pattern: STREAM_POSITION.source })),
    client: Type.Optional(Type.String()),
    // Alert streams: the status check's parameters, as the REST endpoint takes them.
    ...withoutDefaults(StatusCheckParams.properties),
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

/**
 * Value filters on result fields, keyed by field path: a top-level field (`min`) or a dotted
 * path into nested objects (`result.rcode`). A result matches when every entry holds.
 */
export interface ValueFilters {
  /** The field equals the value; when either side is a number both compare as numbers (a numeric string counts). */
  equalsTo?: Record<string, string | number | boolean>;
  /** The field is a number (or numeric string) strictly greater than the value. */
  greaterThan?: Record<string, number>;
  /** The field is a number (or numeric string) strictly less than the value. */
  lessThan?: Record<string, number>;
}

/**
 * A subscription in one canonical shape. Optional members are present only when the client
 * gave them (`speed` also when `startTime` was given: it defaults to 1).
 */
export interface NormalizedSubscription {
  streamType: StreamType;
  msm?: number;
  prb?: number;
  type?: ResultType;
  /** Addresses in canonical RFC 5952 text, in the family the client wrote them. */
  sourceAddress?: string;
  destinationAddress?: string;
  passThroughHost?: string;
  /** Prefixes as canonical `network/length`, host bits cleared. */
  sourcePrefix?: string;
  destinationPrefix?: string;
  passThroughPrefix?: string;
  /** Probestatus streams only: add each probe's details to its status events. */
  enrichProbes?: boolean;
  /** `equalsTo`, `greaterThan`, `lessThan`, those given. */
  valueFilters?: ValueFilters;
  buffering: boolean;
  sendBacklog: boolean;
  /**
   * Results come with their stream position (for `resumeFrom`): socket.io as a second argument,
   * WebSocket and HTTP as a third array element. Off by default, since RIPE Atlas clients expect
   * exactly one argument / two elements.
   */
  sendPositions?: boolean;
  /** History replay, Unix seconds: from `startTime` until `endTime` (given as `endTime` or `stopTime`). */
  startTime?: number;
  endTime?: number;
  /** Replay pace as a multiple of real time. */
  speed?: number;
  /** The stream position (as the server sent it with a result) to continue after. */
  resumeFrom?: string;
  /** Alert streams: the status check's options, defaults filled in. */
  statusCheck?: StatusCheckOptions;
}

export type SubscriptionParseResult =
  | { ok: true; value: NormalizedSubscription }
  | { ok: false; error: AtlasError };

const KNOWN_PARAMETERS = new Set(Object.keys(SubscriptionParams.properties));
const STATUS_CHECK_PARAMETERS = Object.keys(StatusCheckParams.properties);
const validStatusCheck = ajv.compile(StatusCheckParams);
/** Parameters that select or replay results: an alert stream, which reports a measurement's probes' health, has none. */
const RESULT_ONLY_PARAMETERS = [
  "type", "sourceAddress", "sourcePrefix", "destinationAddress", "destinationPrefix", "passThroughHost", "passThroughPrefix",
  "equalsTo", "greaterThan", "lessThan", "sendBacklog", "startTime", "endTime", "stopTime", "speed", "resumeFrom",
];

/** One parameter's value is wrong; `parseSubscription` turns it into an `atlas_error`. */
class ParameterError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

/** The usual error: `parameter: reason`. */
function invalid(parameter: string, reason: string): ParameterError {
  return new ParameterError(parameter, `${parameter}: ${reason}`);
}

function isStreamType(value: unknown): value is StreamType {
  return typeof value === "string" && (STREAM_TYPES as readonly string[]).includes(value);
}

/** An id (a number or a digit string) within 1..MAX_ID: ids are stored as int4. */
function parseId(key: string, value: unknown): number {
  const id = typeof value === "string" && /^[1-9][0-9]*$/.test(value) ? Number(value) : value;
  if (typeof id !== "number" || !Number.isInteger(id) || id < 1) throw invalid(key, "must be a positive integer");
  if (id > MAX_ID) throw invalid(key, `must be at most ${MAX_ID}`);
  return id;
}

function parseFlag(key: string, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  throw invalid(key, "must be a boolean");
}

function parseUnixSeconds(key: string, value: unknown): number {
  const seconds = typeof value === "string" && UNIX_SECONDS.test(value) ? Number(value) : value;
  if (typeof seconds === "number" && Number.isSafeInteger(seconds) && seconds >= 0) return seconds;
  throw invalid(key, "must be Unix seconds, an integer >= 0");
}

function parseSpeed(value: unknown): number {
  const speed = typeof value === "string" && SPEED.test(value) ? Number(value) : value;
  if (typeof speed === "number" && Number.isFinite(speed) && speed >= 0) return speed;
  throw invalid("speed", "must be a number >= 0");
}

function parseAddress(key: string, value: unknown): string {
  const canonical = typeof value === "string" ? canonicalIpAddress(value) : undefined;
  if (canonical === undefined) throw invalid(key, "must be an IPv4 or IPv6 address");
  return canonical;
}

function parsePrefix(key: string, value: unknown): string {
  const prefix = typeof value === "string" ? parseIpPrefix(value) : undefined;
  if (prefix === undefined) {
    throw invalid(key, "must be a CIDR prefix, IPv4 (a.b.c.d/0..32) or IPv6 (x:y::/0..128)");
  }
  return prefix.text;
}

/** Reads a value filter given as an object or its JSON text, checking each field path and value. */
function parseValueFilter<V>(
  key: string,
  value: unknown,
  isValue: (entry: unknown) => entry is V,
  valueDescription: string,
): Record<string, V> {
  let filter = value;
  if (typeof value === "string") {
    try {
      filter = JSON.parse(value);
    } catch {
      throw invalid(key, "is not valid JSON");
    }
  }
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) {
    throw invalid(key, "must be an object of field: value");
  }
  const entries = Object.entries(filter);
  if (entries.length === 0) throw invalid(key, "must name at least one field");
  for (const [field, entry] of entries) {
    if (!FIELD_PATH.test(field)) {
      throw invalid(key, `"${field}" is not a field name or a dotted path into objects`);
    }
    if (!isValue(entry)) throw invalid(key, `the value of "${field}" must be ${valueDescription}`);
  }
  // Fields in sorted order, so that equal filters serialise alike (subscription keys).
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // fromEntries defines own properties, so a field named __proto__ stays a plain key.
  return Object.fromEntries(entries);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "boolean" || isFiniteNumber(value);
}

function readStreamType(params: Record<string, unknown>): StreamType {
  const hasSnake = params.stream_type !== undefined;
  const hasCamel = params.streamType !== undefined;
  if (hasSnake && hasCamel) {
    const message = "give only one of stream_type and streamType";
    throw new ParameterError("streamType", message);
  }
  if (!hasSnake && !hasCamel) throw new ParameterError("stream_type", "stream_type is required");
  const key = hasSnake ? "stream_type" : "streamType";
  const streamType = params[key];
  if (!isStreamType(streamType)) throw invalid(key, `must be one of ${STREAM_TYPES.join(", ")}`);
  return streamType;
}

function readAddressFilters(params: Record<string, unknown>, value: NormalizedSubscription): void {
  for (const key of ["sourceAddress", "destinationAddress", "passThroughHost"] as const) {
    if (params[key] !== undefined) value[key] = parseAddress(key, params[key]);
  }
  for (const key of ["sourcePrefix", "destinationPrefix", "passThroughPrefix"] as const) {
    if (params[key] !== undefined) value[key] = parsePrefix(key, params[key]);
  }
}

function readValueFilters(params: Record<string, unknown>): ValueFilters | undefined {
  const filters: ValueFilters = {};
  if (params.equalsTo !== undefined) {
    filters.equalsTo = parseValueFilter("equalsTo", params.equalsTo, isScalar, "a string, number or boolean");
  }
  for (const key of ["greaterThan", "lessThan"] as const) {
    if (params[key] !== undefined) filters[key] = parseValueFilter(key, params[key], isFiniteNumber, "a number");
  }
  return Object.keys(filters).length > 0 ? filters : undefined;
}

/** startTime / endTime (or stopTime) / speed / resumeFrom, checked together. */
function readReplay(params: Record<string, unknown>, value: NormalizedSubscription): void {
  if (params.startTime !== undefined) value.startTime = parseUnixSeconds("startTime", params.startTime);

  if (params.endTime !== undefined && params.stopTime !== undefined) {
    throw invalid("endTime", "give only one of endTime and stopTime");
  }
  const endKey = params.stopTime !== undefined ? "stopTime" : "endTime";
  if (params[endKey] !== undefined) {
    const endTime = parseUnixSeconds(endKey, params[endKey]);
    if (value.startTime === undefined) throw invalid(endKey, "needs startTime");
    if (endTime < value.startTime) throw invalid(endKey, "must not be before startTime");
    value.endTime = endTime;
  }

  if (params.speed !== undefined) {
    const speed = parseSpeed(params.speed);
    if (value.startTime === undefined) throw invalid("speed", "needs startTime");
    value.speed = speed;
  } else if (value.startTime !== undefined) {
    value.speed = 1;
  }

  if (params.resumeFrom !== undefined) {
    const position = params.resumeFrom;
    if (typeof position !== "string" || !STREAM_POSITION.test(position)) {
      throw invalid("resumeFrom", "must be a stream position, a string of digits");
    }
    if (value.startTime !== undefined) throw invalid("resumeFrom", "cannot be combined with startTime");
    value.resumeFrom = position;
  }
}

/** An alert stream's measurement and status-check parameters; refused on other streams. */
function readStatusCheck(params: Record<string, unknown>, value: NormalizedSubscription): void {
  const given = Object.fromEntries(STATUS_CHECK_PARAMETERS.filter((k) => params[k] !== undefined).map((k) => [k, params[k]]));
  if (value.streamType !== "alert") {
    const first = Object.keys(given)[0];
    if (first !== undefined) throw invalid(first, "applies to alert streams only");
    return;
  }
  if (value.msm === undefined) throw invalid("msm", "is required for alert streams");
  const misplaced = RESULT_ONLY_PARAMETERS.find((k) => params[k] !== undefined);
  if (misplaced !== undefined) throw invalid(misplaced, "does not apply to alert streams");
  if (!validStatusCheck(given)) {
    const error = validStatusCheck.errors?.[0];
    const key = error?.instancePath.replace(/^\//, "") || STATUS_CHECK_PARAMETERS[0]!;
    throw invalid(key, error?.message ?? "is not valid");
  }
  value.statusCheck = statusCheckOptions(given);
}

function readSubscription(params: Record<string, unknown>): NormalizedSubscription {
  for (const key of Object.keys(params)) {
    if (!KNOWN_PARAMETERS.has(key)) throw new ParameterError(key, `unknown parameter "${key}"`);
  }
  const value: NormalizedSubscription = { streamType: readStreamType(params), buffering: false, sendBacklog: false };

  for (const key of ["msm", "prb"] as const) {
    if (params[key] === undefined) continue;
    value[key] = parseId(key, params[key]);
  }

  if (params.type !== undefined) {
    if (!isResultType(params.type)) throw invalid("type", `must be one of ${RESULT_TYPES.join(", ")}`);
    value.type = params.type;
  }

  readAddressFilters(params, value);

  if (params.enrichProbes !== undefined) {
    const enrichProbes = parseFlag("enrichProbes", params.enrichProbes);
    if (value.streamType !== "probestatus") throw invalid("enrichProbes", "applies to probestatus streams only");
    value.enrichProbes = enrichProbes;
  }

  const valueFilters = readValueFilters(params);
  if (valueFilters !== undefined) value.valueFilters = valueFilters;

  for (const key of ["buffering", "sendBacklog"] as const) {
    if (params[key] !== undefined) value[key] = parseFlag(key, params[key]);
  }
  if (params.sendPositions !== undefined) {
    const sendPositions = parseFlag("sendPositions", params.sendPositions);
    if (value.streamType !== "result") throw invalid("sendPositions", "applies to result streams only");
    value.sendPositions = sendPositions;
  }

  readReplay(params, value);
  readStatusCheck(params, value);

  if (params.client !== undefined && typeof params.client !== "string") {
    throw invalid("client", "must be a string");
  }
  return value;
}

/**
 * Checks subscription parameters and turns them into one canonical shape: the stream
 * type under `streamType`, ids and times as numbers, flags defaulted to false, addresses
 * and prefixes in canonical text, value filters under `valueFilters`. `client` is checked
 * and dropped. Every error names the parameter at fault.
 */
export function parseSubscription(input: unknown): SubscriptionParseResult {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, error: { message: "subscription parameters must be an object" } };
  }
  try {
    return { ok: true, value: readSubscription(input as Record<string, unknown>) };
  } catch (err) {
    if (!(err instanceof ParameterError)) throw err;
    return { ok: false, error: { message: err.message, parameter: err.parameter } };
  }
}

interface ValueSchema {
  type?: string;
  anyOf?: ValueSchema[];
}

/** One query-string value as the first type of the parameter's schema that it reads as. */
function fromText(schema: ValueSchema, text: string): unknown {
  for (const candidate of schema.anyOf ?? [schema]) {
    switch (candidate.type) {
      case "integer":
        if (/^-?[0-9]+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
        break;
      case "number":
        if (/^-?[0-9]+(\.[0-9]+)?$/.test(text)) return Number(text);
        break;
      case "boolean":
        if (text === "true" || text === "false") return text === "true";
        break;
      case "object":
        try {
          const parsed: unknown = JSON.parse(text);
          if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed;
        } catch {
          // Not JSON: the text stays as it is, and parseSubscription names the parameter.
        }
        break;
    }
  }
  return text;
}

/**
 * Subscription parameters from a query string (the HTTP stream), each value converted to the type
 * its schema in {@link SubscriptionParams} gives it (`msm=1001` → 1001, `buffering=true` → true,
 * a value filter's JSON text → the object), so that `atlas_subscribed` echoes them as a socket
 * client would have sent them. Values that read as no such type stay text (and are refused by
 * {@link parseSubscription}, naming the parameter).
 */
export function subscriptionFromQuery(query: Record<string, unknown>): Record<string, unknown> {
  const properties = SubscriptionParams.properties as Record<string, ValueSchema>;
  // fromEntries defines own properties, so a parameter named __proto__ stays a plain key.
  return Object.fromEntries(
    Object.entries(query).map(([key, value]) => {
      const schema = Object.hasOwn(properties, key) ? properties[key] : undefined;
      return [key, schema !== undefined && typeof value === "string" ? fromText(schema, value) : value];
    }),
  );
}
