import type { TSchema } from "typebox";

/** What the OpenAPI document says about a route beyond its request schemas. */
export interface OpenApiOperation {
  summary: string;
  tag: string;
  /** Response schemas by status code. */
  responses?: Record<number, { description: string; schema?: TSchema | object; contentType?: string }>;
}

declare module "fastify" {
  interface FastifyContextConfig {
    openapi?: OpenApiOperation;
  }
}
