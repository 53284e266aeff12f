import {
  DnsDefinition, HttpDefinition, NtpDefinition, PingDefinition, ProbeSource, RESULT_TYPES,
  SslcertDefinition, TracerouteDefinition, type ApiError, type ResultType,
} from "@probestream/types";

/**
 * The measurement form, derived from the API's own creation schema (`MeasurementCreateRequest`
 * and each type's definition): which options a type has, their bounds, choices and defaults. The
 * form's field names are the JSON pointers of the request body (`definitions/0/packets`,
 * `probes/0/value`, `start_time`), so an error the API reports at a pointer lands at its field.
 */

/** One input of the form, as the schema describes it. */
export type FieldSpec = {
  /** The body's pointer without the leading slash: the form field's name. */
  name: string;
  label: string;
  hint?: string;
  required: boolean;
} & (
  | { kind: "integer"; min?: number; max?: number; placeholder?: number }
  | { kind: "boolean" }
  | { kind: "choice"; choices: (string | number)[]; placeholder?: string | number }
  | { kind: "text"; maxLength?: number; pattern?: string; placeholder?: string }
  /** A time in UTC, to the minute. */
  | { kind: "datetime" }
);

export interface TypeSpec {
  type: ResultType;
  /** The target is optional for DNS (the probe's own resolver may be asked). */
  targetRequired: boolean;
  options: FieldSpec[];
}

export interface SourceSpec {
  type: string;
  label: string;
  value: FieldSpec;
}

export interface FormSpec {
  types: TypeSpec[];
  common: { target: FieldSpec; af: FieldSpec; description: FieldSpec; interval: FieldSpec; spread: FieldSpec };
  sources: SourceSpec[];
  requested: FieldSpec;
}

/** Sent back to the form after a refused submission. */
export interface FormState {
  /** A problem not tied to one field (no create right, the API away, ...). */
  message?: string;
  /** Problems by field name. */
  errors: Record<string, string>;
  /** What was submitted, to fill the form again. */
  values: Record<string, string>;
  /** Counts the refused submissions: the form is drawn afresh from `values` after each. */
  submission: number;
}

type JsonSchema = {
  type?: string;
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  const?: string;
};

const DEFINITIONS: Record<ResultType, JsonSchema> = {
  ping: PingDefinition, traceroute: TracerouteDefinition, dns: DnsDefinition,
  sslcert: SslcertDefinition, ntp: NtpDefinition, http: HttpDefinition,
};

/** Options every type shares, placed in the form's general parts rather than per type. */
const SHARED = new Set(["type", "target", "af", "description", "interval", "is_oneoff", "is_public", "spread", "tags", "resolve_on_probe", "skip_dns_check"]);

/** How RIPE Atlas names the options where the name alone reads badly. */
const LABELS: Record<string, string> = {
  af: "Address family",
  packet_interval: "Time between packets",
  include_probe_id: "Include the probe id in the payload",
  paris: "Paris traceroute variations",
  first_hop: "First hop",
  max_hops: "Maximum hops",
  response_timeout: "Response timeout",
  dont_fragment: "Don't fragment",
  duplicate_timeout: "Duplicate timeout",
  hop_by_hop_option_size: "Hop-by-hop option size (IPv6)",
  destination_option_size: "Destination option size (IPv6)",
  gap_limit: "Gap limit",
  query_class: "Query class",
  query_type: "Query type",
  query_argument: "Query argument",
  use_probe_resolver: "Use the probe's resolver",
  set_rd_bit: "Recursion desired (RD)",
  set_do_bit: "DNSSEC OK (DO)",
  set_cd_bit: "Checking disabled (CD)",
  set_nsid_bit: "Ask for the NSID",
  udp_payload_size: "EDNS UDP payload size",
  include_qbuf: "Include the query (qbuf)",
  include_abuf: "Include the answer (abuf)",
  prepend_probe_id: "Prepend the probe id to the query",
  use_macros: "Expand macros in the query",
  tls: "DNS over TLS",
  hostname: "Server name (SNI)",
  query_string: "Query string",
  header_bytes: "Header bytes to keep",
  version: "HTTP version",
  extended_timing: "Extended timing",
  more_extended_timing: "More extended timing",
  user_agent: "User agent",
  requested: "Number of probes",
};

const SOURCE_LABELS: Record<string, string> = {
  area: "Area", country: "Country", asn: "ASN", prefix: "Prefix", probes: "Probe ids", msm: "Probes of a measurement",
};

function labelOf(name: string): string {
  const label = LABELS[name] ?? name.replaceAll("_", " ");
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** The input for one schema property: integers, switches, choices, text. */
export function fieldOf(name: string, property: string, schema: JsonSchema, required: boolean): FieldSpec {
  const label = labelOf(property);
  // A description that only repeats the label says nothing more.
  const hint = schema.description && !label.toLowerCase().includes(schema.description.toLowerCase()) ? schema.description : undefined;
  const base = { name, label, required, ...(hint ? { hint } : {}) };
  if (schema.enum) return { ...base, kind: "choice", choices: schema.enum, ...(schema.default !== undefined ? { placeholder: schema.default as string | number } : {}) };
  if (schema.type === "integer") {
    return {
      ...base, kind: "integer",
      ...(schema.minimum !== undefined ? { min: schema.minimum } : {}),
      ...(schema.maximum !== undefined ? { max: schema.maximum } : {}),
      ...(typeof schema.default === "number" ? { placeholder: schema.default } : {}),
    };
  }
  if (schema.type === "boolean") return { ...base, kind: "boolean" };
  // Unions (numbers or digits as text) are entered as text and checked by the API.
  return {
    ...base, kind: "text",
    ...(schema.maxLength !== undefined ? { maxLength: schema.maxLength } : {}),
    ...(schema.pattern !== undefined ? { pattern: schema.pattern } : {}),
  };
}

/** The form as the creation schema defines it. */
export function measurementFormSpec(): FormSpec {
  const at = (property: string) => `definitions/0/${property}`;
  const types = RESULT_TYPES.map((type): TypeSpec => {
    const schema = DEFINITIONS[type];
    const required = new Set(schema.required ?? []);
    const options = Object.entries(schema.properties ?? {})
      .filter(([property]) => !SHARED.has(property))
      .map(([property, option]) => fieldOf(at(property), property, option, required.has(property)));
    return { type, targetRequired: required.has("target"), options };
  });
  const ping = (PingDefinition as JsonSchema).properties ?? {};
  const property = (name: string) => ping[name] as JsonSchema;
  const sources = ((ProbeSource as JsonSchema).oneOf ?? []).map((source): SourceSpec => {
    const type = source.properties?.type?.const ?? "";
    return { type, label: SOURCE_LABELS[type] ?? type, value: { ...sourceValue(source.properties?.value ?? {}), name: "probes/0/value", label: SOURCE_LABELS[type] ?? type } };
  });
  const firstSource = (ProbeSource as JsonSchema).oneOf?.[0]?.properties ?? {};
  return {
    types,
    common: {
      target: fieldOf(at("target"), "target", property("target"), true),
      af: fieldOf(at("af"), "af", property("af"), true),
      description: { ...fieldOf(at("description"), "description", property("description"), true), hint: "Shown in lists and on the measurement's page" },
      interval: fieldOf(at("interval"), "interval", property("interval"), false),
      spread: fieldOf(at("spread"), "spread", property("spread"), false),
    },
    sources,
    requested: { ...fieldOf("probes/0/requested", "requested", firstSource.requested ?? {}, true), hint: "At most this many are chosen" },
  };
}

function sourceValue(schema: JsonSchema): FieldSpec {
  const text = (schema.anyOf ?? []).find((alternative) => alternative.type === "string") ?? schema;
  return fieldOf("probes/0/value", "value", text.enum || text.type === "string" ? text : schema, true);
}

/** Times in the form are UTC (`datetime-local` without a zone): the API gets them as ISO 8601. */
function utcTime(value: string): string {
  return `${value.length === 16 ? `${value}:00` : value}Z`;
}

/**
 * The request body the form describes. Only fields of the chosen type are sent (the form shows
 * no others); empty inputs are left out, so the API's defaults apply.
 */
export function requestFromForm(form: FormData, spec: FormSpec): unknown {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value.trim() : "";
  };
  const type = text("definitions/0/type") as ResultType;
  const typeSpec = spec.types.find((t) => t.type === type);
  const definition: Record<string, unknown> = { type };
  const fields = [spec.common.target, spec.common.af, spec.common.description, ...(typeSpec?.options ?? [])];
  const oneoff = text("timing") !== "periodic";
  if (!oneoff) fields.push(spec.common.interval, spec.common.spread);
  for (const field of fields) {
    const property = field.name.slice("definitions/0/".length);
    if (field.kind === "boolean") {
      if (form.get(field.name) === "on") definition[property] = true;
      continue;
    }
    const value = text(field.name);
    if (value === "") continue;
    definition[property] = typedValue(field, value);
  }
  definition.is_oneoff = oneoff;
  definition.is_public = form.get("definitions/0/is_public") === "on";

  const sourceType = text("probes/0/type");
  const source: Record<string, unknown> = { type: sourceType, value: text("probes/0/value"), requested: Number(text("probes/0/requested")) };
  const include = listOf(text("probes/0/tags/include"));
  const exclude = listOf(text("probes/0/tags/exclude"));
  if (include.length > 0 || exclude.length > 0) source.tags = { ...(include.length ? { include } : {}), ...(exclude.length ? { exclude } : {}) };

  const body: Record<string, unknown> = { definitions: [definition], probes: [source] };
  if (text("start_time")) body.start_time = utcTime(text("start_time"));
  if (text("stop_time")) body.stop_time = utcTime(text("stop_time"));
  return body;
}

function typedValue(field: FieldSpec, value: string): unknown {
  if (field.kind === "integer") return /^-?\d+$/.test(value) ? Number(value) : value;
  if (field.kind === "choice" && field.choices.every((choice) => typeof choice === "number")) return Number(value);
  return value;
}

function listOf(value: string): string[] {
  return value.split(",").map((item) => item.trim()).filter((item) => item.length > 0);
}

/** The API's problems by form field; those that match no field are told in `message`. */
export function problemsOf(answer: { status: number; body: unknown }, fieldNames: ReadonlySet<string>): Pick<FormState, "errors" | "message"> {
  const error = (answer.body as Partial<ApiError> | null)?.error;
  const errors: Record<string, string> = {};
  const elsewhere: string[] = [];
  for (const problem of error?.errors ?? []) {
    const name = problem.source.pointer.replace(/^\//, "");
    const field = [...fieldNames].find((candidate) => name === candidate || name.startsWith(`${candidate}/`));
    if (field && errors[field] === undefined) errors[field] = problem.detail;
    else if (!field) elsewhere.push(`${name || "request"}: ${problem.detail}`);
  }
  const message =
    elsewhere.length > 0 ? elsewhere.join("; ")
    : Object.keys(errors).length === 0 ? (error?.detail ?? `The API answered ${answer.status}`)
    : undefined;
  return { errors, ...(message ? { message } : {}) };
}

/** Every field name the form may send, to place the API's problems. */
export function fieldNamesOf(spec: FormSpec): Set<string> {
  return new Set([
    "definitions/0/type", "definitions/0/is_public", "definitions/0/is_oneoff", "probes/0/type", "start_time", "stop_time",
    "probes/0/tags",
    ...Object.values(spec.common).map((field) => field.name),
    ...spec.types.flatMap((t) => t.options.map((field) => field.name)),
    spec.requested.name, "probes/0/value",
  ]);
}
