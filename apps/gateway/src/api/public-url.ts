import type { FastifyInstance, FastifyRequest } from "fastify";

declare module "fastify" {
  interface FastifyRequest {
    /** Scheme, host (and path prefix) under which clients reach this API: the base of links in answers. */
    readonly baseUrl: string;
  }
}

/** Checks a configured public URL (`https://atlas.example.net`, maybe with a path) and drops a trailing "/". */
function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`public URL "${value}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`public URL "${value}" must be http or https`);
  if (url.search !== "" || url.hash !== "") throw new Error(`public URL "${value}" must not have a query or fragment`);
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * Decorates requests with `baseUrl`: the configured public URL, else the request's own scheme and
 * host — which fastify reads from `X-Forwarded-Proto`/`X-Forwarded-Host` only when the proxy is trusted.
 */
export function installBaseUrl(fastify: FastifyInstance, publicUrl: string | undefined): void {
  const configured = publicUrl === undefined ? undefined : parsePublicUrl(publicUrl);
  fastify.decorateRequest("baseUrl", {
    getter(this: FastifyRequest) {
      return configured ?? `${this.protocol}://${this.host}`;
    },
  });
}
