import { HttpError } from "@probestream/service-kit";
import type { FastifyInstance } from "fastify";
import type { Pool, ResultReader } from "@probestream/db";
import { ApiKeyStore, MeasurementStore, ProbeDirectory } from "@probestream/db";
import type { MessageBus } from "@probestream/bus";
import { compileApiValidator } from "@probestream/types";
import { refuseUnknownKeys } from "./caller.js";
import "./openapi-meta.js";
import { keyRoutes } from "./keys.js";
import { measurementRoutes } from "./measurements.js";
import { installOpenApi } from "./openapi.js";
import { probeRoutes } from "./probes.js";
import { resultsRoutes } from "./results.js";
import { statusCheckRoutes, type LiveStatusChecks } from "./status-check.js";
import { webhookRoutes } from "./webhooks.js";
import type { Webhooks } from "../webhooks/index.js";

export interface ApiOptions {
  pool: Pool;
  reader: ResultReader;
  bus: MessageBus;
  /** Status checks kept current on the live path (the stream hub's); without it, every poll reads storage. */
  statusChecks?: LiveStatusChecks;
  webhooks?: Webhooks;
}

/** Makes a header value of names a client sent: printable ASCII, quotes escaped. */
const quoted = (text: string) => text.replace(/[^\x20-\x7e]/g, "?").replace(/["\\]/g, "\\$&");

/**
 * Query parameters a route does not know are ignored, as RIPE Atlas does, and named in a
 * `Warning: 299` header; values of known parameters are still checked by the route's schema.
 */
function ignoreUnknownParameters(fastify: FastifyInstance): void {
  fastify.addHook("preValidation", async (request, reply) => {
    const known = (request.routeOptions.schema?.querystring as { properties?: Record<string, unknown> } | undefined)?.properties;
    if (!known) return;
    const query = request.query as Record<string, unknown>;
    const ignored = Object.keys(query).filter((name) => !Object.hasOwn(known, name));
    if (ignored.length === 0) return;
    for (const name of ignored) delete query[name];
    reply.header("warning", `299 - "ignored parameters: ${quoted(ignored.join(", "))}"`);
  });
}

/**
 * PostgreSQL text cannot hold a NUL character: a parameter carrying one is refused at its name
 * before any route reads it into SQL.
 */
function refuseNulCharacters(fastify: FastifyInstance): void {
  fastify.addHook("preValidation", async (request) => {
    const query = request.query as Record<string, unknown>;
    for (const [name, value] of Object.entries(query)) {
      const values = Array.isArray(value) ? value : [value];
      if (values.some((v) => typeof v === "string" && v.includes("\u0000"))) {
        const detail = "must not contain a NUL character";
        throw new HttpError(400, `${name}: ${detail}`, [{ source: { pointer: `/querystring/${name}` }, detail }]);
      }
    }
  });
}

/**
 * The REST API v2: measurements, probes, keys, result downloads, the OpenAPI document and its HTML
 * page. Callers are resolved and limited on the whole instance (see `resolveCallers`,
 * `installRateLimits`); here, a key that does not exist is refused.
 */
export async function apiPlugin(fastify: FastifyInstance, opts: ApiOptions): Promise<void> {
  ignoreUnknownParameters(fastify);
  refuseNulCharacters(fastify);
  refuseUnknownKeys(fastify);
  await installOpenApi(fastify);
  const directory = new ProbeDirectory(opts.pool);
  fastify.addHook("onClose", async () => {
    await directory.close();
  });

  await fastify.register(async (routesOfApi) => {
    // Requests are validated by the API's schemas with its ajv: text parts coerced, the definition
    // type followed as a discriminator, every error at its field.
    routesOfApi.setValidatorCompiler(({ schema, httpPart }) => compileApiValidator(schema, httpPart ?? "body"));
    await routesOfApi.register(measurementRoutes, { pool: opts.pool, store: new MeasurementStore(opts.pool), bus: opts.bus });
    await routesOfApi.register(probeRoutes, { pool: opts.pool, directory });
    await routesOfApi.register(keyRoutes, { store: new ApiKeyStore(opts.pool) });
    await routesOfApi.register(resultsRoutes, { reader: opts.reader });
    await routesOfApi.register(statusCheckRoutes, { pool: opts.pool, reader: opts.reader, live: opts.statusChecks });
    await routesOfApi.register(webhookRoutes, { pool: opts.pool, webhooks: opts.webhooks });
  });

  fastify.get("/api/v2/openapi.json", {
    config: {
      openapi: {
        summary: "This document",
        description: "OpenAPI 3.1, with `servers` naming the URL this gateway is reached at. Rendered on [/api/v2/docs/](/api/v2/docs/).",
        tag: "docs",
        responses: { 200: { description: "The document", example: { openapi: "3.1.0", info: { title: "probestream REST API v2", version: "2" }, paths: {} } } },
      },
    },
  }, async (request) => ({
    ...fastify.swagger(),
    servers: [{ url: request.baseUrl }],
  }));
}

export { DEFAULT_RATE_LIMITS, installRateLimits, type RateLimits } from "./rate-limit.js";
