import { Type, type Static, type TSchema } from "typebox";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Seconds = Type.Integer({ description: "Unix seconds" });

/** The error body of every answer, RIPE Atlas shape. */
export const ApiError = Type.Object({
  error: Type.Object({
    status: Type.Integer(),
    code: Type.Optional(Type.Integer()),
    title: Type.String(),
    detail: Type.String(),
    errors: Type.Optional(
      Type.Array(Type.Object({ source: Type.Object({ pointer: Type.String() }), detail: Type.String() })),
    ),
  }),
});
export type ApiError = Static<typeof ApiError>;

/** A list page: `{count, next, previous, results}`. */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    count: Type.Integer({ minimum: 0 }),
    next: Nullable(Type.String({ description: "URL of the next page" })),
    previous: Nullable(Type.String({ description: "URL of the previous page" })),
    results: Type.Array(item),
  });
}

/** A measurement as the API shows it: the definition's options sit beside these fields. */
export const Measurement = Type.Object(
  {
    id: Type.Integer(),
    type: Type.String(),
    af: Nullable(Type.Integer()),
    target: Nullable(Type.String()),
    target_ip: Nullable(Type.String()),
    description: Type.String(),
    interval: Nullable(Type.Integer()),
    spread: Nullable(Type.Integer()),
    is_oneoff: Type.Boolean(),
    is_public: Type.Boolean(),
    start_time: Nullable(Seconds),
    stop_time: Nullable(Seconds),
    creation_time: Seconds,
    status: Type.Object({ id: Type.Integer(), name: Type.String(), when: Nullable(Seconds) }),
    participant_count: Type.Integer(),
    result_count: Type.Integer({ description: "Results stored so far" }),
    last_result_time: Nullable(Type.Integer({ description: "Unix seconds of the newest stored result" })),
    probes_requested: Type.Integer(),
    probes_scheduled: Type.Integer(),
    probe_sources: Type.Array(Type.Object({}, { additionalProperties: true })),
    result: Type.String({ description: "URL of its results" }),
    tags: Type.Array(Type.String()),
  },
  { additionalProperties: true },
);
export type Measurement = Static<typeof Measurement>;

export const MeasurementPage = Page(Measurement);

export const Probe = Type.Object({
  id: Type.Integer(),
  type: Type.Literal("Probe"),
  address_v4: Nullable(Type.String()),
  address_v6: Nullable(Type.String()),
  prefix_v4: Nullable(Type.String()),
  prefix_v6: Nullable(Type.String()),
  asn_v4: Nullable(Type.Integer()),
  asn_v6: Nullable(Type.Integer()),
  country_code: Nullable(Type.String()),
  geometry: Nullable(
    Type.Object({ type: Type.Literal("Point"), coordinates: Type.Tuple([Type.Number(), Type.Number()]) }),
  ),
  status: Type.Object({ id: Type.Integer(), name: Type.String(), since: Nullable(Seconds) }),
  status_since: Nullable(Seconds),
  is_anchor: Type.Boolean(),
  is_public: Type.Boolean(),
  first_connected: Nullable(Seconds),
  last_connected: Nullable(Seconds),
  total_uptime: Type.Integer({ description: "Seconds connected since first connection" }),
  description: Type.String(),
  firmware_version: Nullable(Type.Integer()),
  tags: Type.Array(Type.Object({ name: Type.String(), slug: Type.String() })),
});
export type Probe = Static<typeof Probe>;

export const ProbePage = Page(Probe);

/** Bounds of the 4-byte integer columns ids, ASNs and counts are compared with. */
const INT4 = { minimum: -2_147_483_648, maximum: 2_147_483_647 };
/** Unix seconds up to the end of year 9999. */
const LAST_SECOND = 253_402_300_799;
const CommaIntegers = Type.String({ pattern: "^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$", description: "Comma-separated integers" });
const CommaWords = Type.String({ pattern: "^[A-Za-z0-9_,-]+$", description: "Comma-separated list" });
const FieldNames = (description: string) => Type.String({ pattern: "^[A-Za-z0-9_,\\s]*$", description });
/** How every object answer is shaped, as RIPE Atlas does it. */
const shaping = {
  fields: Type.Optional(FieldNames("Only these fields (default and optional ones), besides `id` and `type`; empty: only those")),
  optional_fields: Type.Optional(FieldNames("Optional fields added to the default ones")),
  format: Type.Optional(Type.Enum(["json"], { description: "Answers are JSON" })),
  key: Type.Optional(Type.String({ description: "API key" })),
};
const paging = {
  ...shaping,
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  sort: Type.Optional(Type.String({ pattern: "^\\s*-?[a-z0-9_]+(\\s*,\\s*-?[a-z0-9_]+)*\\s*$", description: "Field names, comma-separated; `-` before one sorts it descending" })),
};
const idRange = {
  id__in: Type.Optional(CommaIntegers),
  id__gt: Type.Optional(Type.Integer(INT4)),
  id__gte: Type.Optional(Type.Integer(INT4)),
  id__lt: Type.Optional(Type.Integer(INT4)),
  id__lte: Type.Optional(Type.Integer(INT4)),
};
const UnixSeconds = () => Type.Optional(Type.Integer({ minimum: 0, maximum: LAST_SECOND, description: "Unix seconds" }));
const timeRanges = {
  start_time__gt: UnixSeconds(),
  start_time__gte: UnixSeconds(),
  start_time__lt: UnixSeconds(),
  start_time__lte: UnixSeconds(),
  stop_time__gt: UnixSeconds(),
  stop_time__gte: UnixSeconds(),
  stop_time__lt: UnixSeconds(),
  stop_time__lte: UnixSeconds(),
};

/** The query of a single object: its shape and the key. */
export const ObjectQuery = Type.Object(shaping, { additionalProperties: false });
export type ObjectQuery = Static<typeof ObjectQuery>;

export const MeasurementListQuery = Type.Object(
  {
    ...paging,
    ...idRange,
    search: Type.Optional(Type.String({ minLength: 1, description: "Text in the description, target or target address (any case), or the measurement's id" })),
    type: Type.Optional(CommaWords),
    status: Type.Optional(CommaIntegers),
    status__in: Type.Optional(CommaIntegers),
    af: Type.Optional(Type.Integer({ enum: [4, 6], description: "Address family: 4 or 6" })),
    target: Type.Optional(Type.String()),
    target__contains: Type.Optional(Type.String()),
    description__contains: Type.Optional(Type.String()),
    tags: Type.Optional(CommaWords),
    is_public: Type.Optional(Type.Boolean()),
    is_oneoff: Type.Optional(Type.Boolean()),
    mine: Type.Optional(Type.Boolean({ description: "Only the key owner's measurements" })),
    ...timeRanges,
  },
  { additionalProperties: false },
);
export type MeasurementListQuery = Static<typeof MeasurementListQuery>;

export const ProbeListQuery = Type.Object(
  {
    ...paging,
    ...idRange,
    country_code: Type.Optional(Type.String({ pattern: "^[A-Za-z]{2}$" })),
    asn: Type.Optional(Type.Integer({ minimum: 0, maximum: INT4.maximum, description: "asn_v4 or asn_v6" })),
    asn_v4: Type.Optional(Type.Integer({ minimum: 0, maximum: INT4.maximum })),
    asn_v6: Type.Optional(Type.Integer({ minimum: 0, maximum: INT4.maximum })),
    prefix_v4: Type.Optional(Type.String({ description: "Probes in this IPv4 prefix" })),
    prefix_v6: Type.Optional(Type.String({ description: "Probes in this IPv6 prefix" })),
    prefix: Type.Optional(Type.String({ description: "Probes in this IPv4 or IPv6 prefix" })),
    radius: Type.Optional(Type.String({
      pattern: "^\\s*-?\\d+(\\.\\d+)?\\s*,\\s*-?\\d+(\\.\\d+)?\\s*:\\s*\\d+(\\.\\d+)?\\s*$",
      description: "`lat,lon:km`: probes within km of the point",
    })),
    status: Type.Optional(CommaIntegers),
    tags: Type.Optional(CommaWords),
    is_anchor: Type.Optional(Type.Boolean()),
    is_public: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ProbeListQuery = Static<typeof ProbeListQuery>;

/** A list with no filters of its own (keys, participation requests): shape, order and page. */
export const PagedQuery = Type.Object(paging, { additionalProperties: false });
export type PagedQuery = Static<typeof PagedQuery>;

/** A participation request as the API shows it: its selection (or removal) and when it was made. */
export const ParticipationRequestResource = Type.Object({
  id: Type.Integer(),
  self: Type.String({ description: "URL of this request" }),
  action: Type.Enum(["add", "remove"]),
  requested: Type.Integer(),
  type: Type.String({ description: "Probe selection type: area, country, asn, prefix, probes or msm" }),
  value: Type.Union([Type.String(), Type.Integer()]),
  tags_include: Type.Optional(Type.String({ description: "Comma-separated probe tags the probes must have" })),
  tags_exclude: Type.Optional(Type.String({ description: "Comma-separated probe tags the probes must not have" })),
  created_at: Seconds,
});
export type ParticipationRequestResource = Static<typeof ParticipationRequestResource>;

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: INT4.maximum }) });
export type IdParams = Static<typeof IdParams>;

export const KeyQuery = Type.Object({ key: Type.Optional(Type.String({ description: "API key" })) });

const ProbeIds = Type.String({ pattern: "^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$", description: "Comma-separated probe ids" });
const Format = Type.Enum(["json", "txt"], { default: "json" });
const Download = Type.Boolean({ description: "Answer as a file to save (Content-Disposition: attachment; filename=RIPE-Atlas-measurement-ID.json)" });
/** Both spellings clients use. */
const probeScope = {
  anchors_only: Type.Optional(Type.Boolean({ description: "Only results of anchors" })),
  "anchors-only": Type.Optional(Type.Boolean({ description: "Same as anchors_only" })),
  public_only: Type.Optional(Type.Boolean({ description: "Only results of public probes" })),
  "public-only": Type.Optional(Type.Boolean({ description: "Same as public_only" })),
};

export const ResultsQuery = Type.Object(
  {
    start: Type.Optional(Type.Integer({ minimum: 0, maximum: LAST_SECOND, description: "Unix seconds, inclusive" })),
    stop: Type.Optional(Type.Integer({ minimum: 0, maximum: LAST_SECOND, description: "Unix seconds, inclusive" })),
    probe_ids: Type.Optional(ProbeIds),
    format: Type.Optional(Format),
    download: Type.Optional(Download),
    ...probeScope,
    key: Type.Optional(Type.String({ description: "API key" })),
  },
  { additionalProperties: false },
);
export type ResultsQuery = Static<typeof ResultsQuery>;

export const LatestQuery = Type.Object(
  {
    probe_ids: Type.Optional(ProbeIds),
    versions: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 1 })),
    lookback_days: Type.Optional(Type.Integer({ minimum: 0, maximum: 36_500, description: "Only results of the last N days; 0: no limit" })),
    format: Type.Optional(Format),
    download: Type.Optional(Download),
    ...probeScope,
    key: Type.Optional(Type.String({ description: "API key" })),
  },
  { additionalProperties: false },
);
export type LatestQuery = Static<typeof LatestQuery>;

/** Rights an API key may carry, by what they are for in code that checks them. */
export const Rights = {
  createMeasurements: "measurements:create",
  readPrivateResults: "results:read_private",
  manageProbes: "probes:manage",
  manageKeys: "keys:manage",
  manageWebhooks: "webhooks:manage",
} as const;
export type ApiRight = (typeof Rights)[keyof typeof Rights];

/** Every right an API key may carry, in the order the docs and the portal list them. */
export const API_RIGHTS: readonly ApiRight[] = Object.values(Rights);

/** What each right allows, as the docs and the portal explain it. */
export const API_RIGHT_DESCRIPTIONS: Record<ApiRight, string> = {
  "measurements:create": "Create measurements, stop them and change their probes",
  "results:read_private": "Read the results of the user's private measurements",
  "probes:manage": "Register probes (probe hosts)",
  "keys:manage": "Revoke the user's other keys (any key may list keys, create keys with its own rights and revoke itself)",
  "webhooks:manage": "Create, change and delete webhooks that push results to a URL (they deliver what the creating key may read)",
};

export const ApiKeyCreateRequest = Type.Object(
  {
    rights: Type.Array(Type.Enum([...API_RIGHTS]), { uniqueItems: true }),
    label: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type ApiKeyCreateRequest = Static<typeof ApiKeyCreateRequest>;

export const ApiKey = Type.Object({
  id: Type.Integer(),
  label: Type.String(),
  rights: Type.Array(Type.String()),
  created_at: Seconds,
  key: Type.Optional(Type.String({ description: "Shown once, when created" })),
});
export type ApiKey = Static<typeof ApiKey>;

/** The key a request is made with, and its user: what a client (the portal's sign-in) checks a key with. */
export const CurrentApiKey = Type.Object({
  id: Type.Integer(),
  label: Type.String(),
  rights: Type.Array(Type.String()),
  created_at: Seconds,
  user: Type.String({ description: "Name of the key's user" }),
});
export type CurrentApiKey = Static<typeof CurrentApiKey>;

