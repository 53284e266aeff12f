import type { TSchema } from "typebox";

/** What the OpenAPI document says about a route beyond its request schemas. */
export interface OpenApiOperation {
  summary: string;
  /** Markdown, shown under the summary. */
  description?: string;
  tag: string;
  /** Response schemas by status code, with an example answer for the successful ones. */
  responses?: Record<number, { description: string; schema?: TSchema | object; contentType?: string; example?: unknown }>;
}

declare module "fastify" {
  interface FastifyContextConfig {
    openapi?: OpenApiOperation;
  }
}
