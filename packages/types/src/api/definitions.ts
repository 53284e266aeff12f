import { Type, type Static, type TSchema } from "typebox";

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Target = Type.String({ minLength: 1, maxLength: 255, description: "Host name or IP address" });

/** Unix seconds or an ISO 8601 date-time, as the reference accepts both. */
export const ApiTime = Type.Union([
  Type.Integer({ minimum: 0, description: "Unix seconds" }),
  Type.String({ format: "date-time", description: "ISO 8601" }),
]);
export type ApiTime = Static<typeof ApiTime>;

/** Options every measurement type takes. */
const common = {
  af: Type.Enum([4, 6], { description: "Address family" }),
  description: Type.Optional(Type.String({ maxLength: 512, description: "Required here or at the top level" })),
  interval: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000, description: "Seconds between runs (periodic)" })),
  is_oneoff: Type.Optional(Type.Boolean({ description: "Run once" })),
  is_public: Type.Optional(Type.Boolean()),
  resolve_on_probe: Type.Optional(Type.Boolean()),
  skip_dns_check: Type.Optional(Type.Boolean()),
  spread: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400, description: "Seconds over which probes' runs are spread" })),
  tags: Type.Optional(Type.Array(Type.String({ pattern: "^[a-z0-9_-]{1,64}$" }), { maxItems: 64 })),
};

function definition<T extends string, P extends Record<string, TSchema>>(type: T, props: P, required: "target" | "none" = "target") {
  return Type.Object(
    {
      type: Type.Literal(type),
      ...common,
      ...(required === "target" ? { target: Target } : { target: Type.Optional(Target) }),
      ...props,
    },
    { additionalProperties: false, title: `${type} definition` },
  );
}

export const PingDefinition = definition("ping", {
  packets: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, default: 3 })),
  size: Type.Optional(Type.Integer({ minimum: 0, maximum: 2048, default: 48, description: "Payload bytes" })),
  packet_interval: Type.Optional(Type.Integer({ minimum: 2, maximum: 300_000, description: "Milliseconds between packets" })),
  include_probe_id: Type.Optional(Type.Boolean()),
});

export const TracerouteDefinition = definition("traceroute", {
  protocol: Type.Enum(["ICMP", "UDP", "TCP"]),
  packets: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, default: 3 })),
  size: Type.Optional(Type.Integer({ minimum: 0, maximum: 2048, default: 48 })),
  paris: Type.Optional(Type.Integer({ minimum: 0, maximum: 64, default: 16 })),
  first_hop: Type.Optional(Type.Integer({ minimum: 1, maximum: 255, default: 1 })),
  max_hops: Type.Optional(Type.Integer({ minimum: 1, maximum: 255, default: 32 })),
  port: Type.Optional(Port),
  timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000, description: "Milliseconds" })),
  response_timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000 })),
  dont_fragment: Type.Optional(Type.Boolean()),
  duplicate_timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
  hop_by_hop_option_size: Type.Optional(Type.Integer({ minimum: 0, maximum: 2048 })),
  destination_option_size: Type.Optional(Type.Integer({ minimum: 0, maximum: 2048 })),
  gap_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
});

const DNS_QUERY_TYPES = [
  "A", "AAAA", "ANY", "CNAME", "DNSKEY", "DS", "MX", "NS", "NSEC", "PTR", "RRSIG", "SOA", "TXT", "SRV", "NAPTR", "TLSA",
] as const;

/** `target` (the name server) is required unless the probe asks its own resolver. */
export const DnsDefinition = Type.Object(
  {
    ...definition("dns", {
      query_class: Type.Enum(["IN", "CHAOS"]),
      query_type: Type.Enum([...DNS_QUERY_TYPES]),
      query_argument: Type.String({ minLength: 1, maxLength: 255 }),
      use_probe_resolver: Type.Optional(Type.Boolean()),
      set_rd_bit: Type.Optional(Type.Boolean()),
      set_do_bit: Type.Optional(Type.Boolean()),
      set_cd_bit: Type.Optional(Type.Boolean()),
      set_nsid_bit: Type.Optional(Type.Boolean()),
      protocol: Type.Optional(Type.Enum(["UDP", "TCP"])),
      udp_payload_size: Type.Optional(Type.Integer({ minimum: 512, maximum: 4096 })),
      retry: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
      timeout: Type.Optional(Type.Integer({ minimum: 100, maximum: 30_000, description: "Milliseconds" })),
      include_qbuf: Type.Optional(Type.Boolean()),
      include_abuf: Type.Optional(Type.Boolean()),
      prepend_probe_id: Type.Optional(Type.Boolean()),
      use_macros: Type.Optional(Type.Boolean()),
      tls: Type.Optional(Type.Boolean()),
      port: Type.Optional(Port),
    }, "none").properties,
  },
  {
    additionalProperties: false,
    title: "dns definition",
    if: { properties: { use_probe_resolver: { const: true } }, required: ["use_probe_resolver"] },
    else: { required: ["target"] },
  },
);

export const SslcertDefinition = definition("sslcert", {
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 443 })),
  hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: "Server name (SNI)" })),
});

export const NtpDefinition = definition("ntp", {
  packets: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, default: 3 })),
  timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000, description: "Milliseconds" })),
});

export const HttpDefinition = definition("http", {
  method: Type.Optional(Type.Enum(["GET", "POST", "HEAD"])),
  path: Type.Optional(Type.String({ pattern: "^/", maxLength: 1024 })),
  query_string: Type.Optional(Type.String({ maxLength: 1024 })),
  port: Type.Optional(Port),
  header_bytes: Type.Optional(Type.Integer({ minimum: 0, maximum: 2048 })),
  version: Type.Optional(Type.Enum(["1.0", "1.1"])),
  extended_timing: Type.Optional(Type.Boolean()),
  more_extended_timing: Type.Optional(Type.Boolean()),
  user_agent: Type.Optional(Type.String({ maxLength: 255 })),
});

const DefinitionUnion = Type.Union([
  PingDefinition, TracerouteDefinition, DnsDefinition, SslcertDefinition, NtpDefinition, HttpDefinition,
]);

/**
 * One measurement definition; `type` selects the schema (an OpenAPI discriminator, which ajv
 * follows too, so an error names the field of the chosen type rather than every alternative).
 */
export const MeasurementDefinition = Type.Unsafe<Static<typeof DefinitionUnion>>({
  type: "object",
  required: ["type"],
  oneOf: DefinitionUnion.anyOf,
  discriminator: { propertyName: "type" },
});
export type MeasurementDefinition = Static<typeof DefinitionUnion>;

/** RIPE Atlas areas, by probe location (see the scheduler for the boundaries). */
const PROBE_AREAS = ["WW", "West", "North-Central", "South-Central", "North-East", "South-East"] as const;
export type ProbeSourceType = "area" | "country" | "asn" | "prefix" | "probes" | "msm";

const sourceCommon = {
  requested: Type.Integer({ minimum: 1, maximum: 10_000, description: "How many probes" }),
  tags: Type.Optional(
    Type.Object(
      {
        include: Type.Optional(Type.Array(Type.String())),
        exclude: Type.Optional(Type.Array(Type.String())),
      },
      { additionalProperties: false },
    ),
  ),
};

function source<T extends string>(type: T, value: TSchema) {
  return Type.Object({ type: Type.Literal(type), value, ...sourceCommon }, { additionalProperties: false, title: `${type} source` });
}

const Digits = Type.String({ pattern: "^\\s*\\d{1,10}\\s*$" });
const SourceUnion = Type.Union([
  source("area", Type.Enum([...PROBE_AREAS])),
  source("country", Type.String({ pattern: "^[A-Za-z]{2}$", description: "ISO 3166-1 alpha-2" })),
  source("asn", Type.Union([Type.Integer({ minimum: 0, maximum: 4_294_967_295 }), Digits])),
  source("prefix", Type.String({ pattern: "^[0-9A-Fa-f:.]+/\\d{1,3}$", description: "IPv4 or IPv6 prefix" })),
  source("probes", Type.Union([
    Type.Integer({ minimum: 1 }),
    Type.String({ pattern: "^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$", description: "Comma-separated probe ids" }),
  ])),
  source("msm", Type.Union([Type.Integer({ minimum: 1 }), Digits])),
]);

/** A probe selection: `requested` probes of an area, country, ASN, prefix, list, or another measurement. */
export interface ProbeSource {
  type: ProbeSourceType;
  value: string | number;
  requested: number;
  tags?: { include?: string[]; exclude?: string[] };
}
export const ProbeSource = Type.Unsafe<ProbeSource>({
  type: "object",
  required: ["type"],
  oneOf: SourceUnion.anyOf,
  discriminator: { propertyName: "type" },
});

export const MeasurementCreateRequest = Type.Object(
  {
    definitions: Type.Array(MeasurementDefinition, { minItems: 1, maxItems: 100 }),
    probes: Type.Array(ProbeSource, { minItems: 1, maxItems: 100 }),
    start_time: Type.Optional(ApiTime),
    stop_time: Type.Optional(ApiTime),
    is_oneoff: Type.Optional(Type.Boolean()),
    is_public: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String({ maxLength: 512 })),
    tags: Type.Optional(Type.Array(Type.String({ pattern: "^[a-z0-9_-]{1,64}$" }), { maxItems: 64 })),
  },
  { additionalProperties: false },
);
export type MeasurementCreateRequest = Static<typeof MeasurementCreateRequest>;

export const MeasurementCreateResponse = Type.Object({ measurements: Type.Array(Type.Integer()) });
export type MeasurementCreateResponse = Static<typeof MeasurementCreateResponse>;

const ParticipationUnion = Type.Union([
  ...SourceUnion.anyOf.map((s) =>
    Type.Object({ action: Type.Literal("add"), ...s.properties }, { additionalProperties: false, title: `add (${s.properties.type.const})` }),
  ),
]);

/** Adds probes by any selection, or removes listed probes. */
export const ParticipationRequest = Type.Union([
  ...ParticipationUnion.anyOf,
  Type.Object(
    {
      action: Type.Literal("remove"),
      type: Type.Literal("probes"),
      value: Type.String({ pattern: "^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$" }),
      requested: Type.Integer({ minimum: 1 }),
    },
    { additionalProperties: false, title: "remove" },
  ),
]);
export type ParticipationRequest =
  | ({ action: "add" } & ProbeSource)
  | { action: "remove"; type: "probes"; value: string; requested: number };

export const ParticipationRequests = Type.Unsafe<ParticipationRequest[]>(
  Type.Array(ParticipationRequest, { minItems: 1, maxItems: 100 }),
);
export const ParticipationResponse = Type.Object({ request_ids: Type.Array(Type.Integer()) });
