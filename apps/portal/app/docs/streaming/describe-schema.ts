/** A TypeBox (JSON Schema) fragment, as far as the docs read it. */
export interface SchemaLike {
  type?: string | string[];
  anyOf?: SchemaLike[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  description?: string;
  additionalProperties?: unknown;
}

/** A short text of what a schema accepts: `integer ≥ 1 | string`, `"result" | "probestatus"`, ... */
export function describeSchema(schema: SchemaLike): string {
  if (schema.anyOf) return [...new Set(schema.anyOf.map(describeSchema))].join(" | ");
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type ?? "any");
  if (schema.format) return `${type} (${schema.format})`;
  if (type === "object") return "object (field → value)";
  if (schema.minimum !== undefined) return `${type} ≥ ${schema.minimum}`;
  return type;
}
