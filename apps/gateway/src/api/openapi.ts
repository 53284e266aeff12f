import type { FastifyInstance, RouteOptions } from "fastify";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { ApiError } from "@probestream/types";
import { errorExample } from "./examples.js";
import type { OpenApiOperation } from "./openapi-meta.js";

type Schema = Record<string, unknown>;

/** A plain JSON copy of a schema (TypeBox schemas carry symbol-keyed metadata). */
const plain = (schema: unknown): Schema => JSON.parse(JSON.stringify(schema ?? {})) as Schema;

/** A response as @fastify/swagger documents it: its description, schema and example. */
function responseDoc(r: NonNullable<OpenApiOperation["responses"]>[number]): Schema {
  const example = r.example ?? (r.schema === ApiError ? errorExample : undefined);
  if (!r.schema && example === undefined) return { description: r.description, type: "null" };
  const schema = { ...plain(r.schema), ...(example === undefined ? {} : { examples: [example] }) };
  if (r.contentType === undefined || r.contentType === "application/json") return { ...schema, description: r.description };
  return { description: r.description, content: { [r.contentType]: { schema } } };
}

/** Adds a route's `config.openapi` (summary, Markdown description, tag, responses) to what its schemas say. */
function documented({ schema, url, route }: { schema: unknown; url: string; route: RouteOptions }): { schema: Schema; url: string } {
  const meta = route.config?.openapi;
  if (!meta) return { schema: { ...plain(schema), hide: true }, url };
  const responses = meta.responses ?? { 200: { description: "OK" } };
  return {
    schema: {
      ...plain(schema),
      summary: meta.summary,
      ...(meta.description ? { description: meta.description } : {}),
      tags: [meta.tag],
      response: Object.fromEntries(Object.entries(responses).map(([status, r]) => [status, responseDoc(r)])),
    },
    url,
  };
}

const DESCRIPTION = `Paths, parameters and JSON shapes of the **RIPE Atlas REST API v2**.

- A key is given as \`?key=KEY\` or \`Authorization: Key KEY\`.
- Errors are \`{"error": {status, title, detail, errors}}\`; \`errors[].source.pointer\` names the field.
- Too many requests answer **429** with \`Retry-After\`.
- Parameters a route does not know are ignored and named in a \`Warning: 299\` header.`;

/** The reference page's scripts are files served here: no inline script, nothing from elsewhere (Swagger UI sets a few inline styles). */
const DOCS_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self' data:",
  "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "frame-ancestors 'self'",
].join("; ");

/**
 * The OpenAPI 3.1 document of the routes registered after this in `fastify` (`@fastify/swagger`,
 * from the schemas that validate requests), and its HTML reference (Swagger UI, its files served
 * from disk here: nothing is fetched from elsewhere) on `/api/v2/docs/`. Swagger UI, not Scalar:
 * Scalar's plugin holds its 8 MB renderer in the heap twice, as its module's source and as a string
 * (measured here: 16.5 of the gateway's 50 MB heap, idle), which broke the gateway's memory budget.
 */
export async function installOpenApi(fastify: FastifyInstance): Promise<void> {
  await fastify.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "probestream REST API v2", version: "2", description: DESCRIPTION },
      components: {
        securitySchemes: {
          keyQuery: { type: "apiKey", in: "query", name: "key" },
          keyHeader: { type: "apiKey", in: "header", name: "Authorization", description: "`Key <key>`" },
        },
      },
      security: [{}, { keyQuery: [] }, { keyHeader: [] }],
    },
    // OpenAPI 3.1 has `const` (the definition types are told apart by it).
    convertConstToEnum: false,
    transform: documented,
  });
  await fastify.register(swaggerUi, {
    routePrefix: "/api/v2/docs",
    staticCSP: DOCS_CSP,
    uiConfig: { deepLinking: true, tryItOutEnabled: false },
    // The same document as /api/v2/openapi.json: `servers` names the URL this gateway is reached at.
    transformSpecification: (spec, request) => ({ ...spec, servers: [{ url: request.baseUrl }] }),
  });
}
