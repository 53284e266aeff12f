import type { RouteOptions } from "fastify";
import type { OpenApiOperation } from "./openapi-meta.js";

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[]; description?: string };

/** A plain JSON copy of a schema (TypeBox schemas carry symbol-keyed metadata). */
function plain(schema: unknown): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

function parametersOf(schema: unknown, where: "path" | "query"): object[] {
  if (!schema) return [];
  const s = plain(schema);
  return Object.entries(s.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (s.required ?? []).includes(name),
    ...(property.description ? { description: property.description } : {}),
    schema: property,
  }));
}

function operationOf(route: RouteOptions, meta: OpenApiOperation | undefined): object {
  const schema = (route.schema ?? {}) as { params?: unknown; querystring?: unknown; body?: unknown };
  const responses: Record<string, object> = {};
  for (const [status, r] of Object.entries(meta?.responses ?? { 200: { description: "OK" } })) {
    responses[status] = {
      description: r.description,
      ...(r.schema ? { content: { [r.contentType ?? "application/json"]: { schema: plain(r.schema) } } } : {}),
    };
  }
  return {
    summary: meta?.summary ?? "",
    tags: meta ? [meta.tag] : [],
    parameters: [...parametersOf(schema.params, "path"), ...parametersOf(schema.querystring, "query")],
    ...(schema.body ? { requestBody: { required: true, content: { "application/json": { schema: plain(schema.body) } } } } : {}),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of the REST API v2, made from the routes as registered: the parameter
 * and body schemas here are the ones that validate requests.
 */
export function buildOpenApi(routes: readonly RouteOptions[]): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    if (!route.url.startsWith("/api/v2/")) continue;
    const path = route.url.replace(/:(\w+)/g, "{$1}");
    for (const method of [route.method].flat()) {
      if (method === "HEAD") continue;
      (paths[path] ??= {})[method.toLowerCase()] = operationOf(route, route.config?.openapi);
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "probestream REST API v2",
      version: "2",
      description:
        "Paths, parameters and JSON shapes of the RIPE Atlas REST API v2. A key is given as `?key=KEY` or " +
        "`Authorization: Key KEY`. Errors are `{\"error\": {status, title, detail, errors}}`; too many requests answer 429 " +
        "with `Retry-After`.",
    },
    components: {
      securitySchemes: {
        keyQuery: { type: "apiKey", in: "query", name: "key" },
        keyHeader: { type: "apiKey", in: "header", name: "Authorization", description: "`Key <key>`" },
      },
    },
    security: [{}, { keyQuery: [] }, { keyHeader: [] }],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
  };
}
