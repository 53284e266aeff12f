import type { FastifyInstance, FastifyRequest } from "fastify";
import rateLimit from "@fastify/rate-limit";
import { Redis } from "ioredis";
import { HttpError } from "@probestream/service-kit";
import { hashKey } from "@probestream/db";
import { apiKeyOf } from "../access/api-keys.js";

/** At most `limit` requests per `windowMs` (a fixed window). */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

export interface RateLimits {
  perAddress: RateLimit;
  perKey: RateLimit;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  perAddress: { limit: 1200, windowMs: 60_000 },
  perKey: { limit: 1200, windowMs: 60_000 },
};

export interface RateLimitOptions {
  limits: RateLimits;
  /** Counters in Redis, shared by every gateway of the deployment; in this process without it. */
  redisUrl?: string;
  /** Redis key namespace of the deployment (the bus namespace). */
  redisNamespace: string;
}

/** The counter a request counts against: its valid key's (by hash), else its address's. */
function counterOf(request: FastifyRequest): string {
  const key = apiKeyOf(request.query, request.headers.authorization);
  return key !== undefined && request.caller.userId !== null ? `key:${hashKey(key)}` : `ip:${request.ip}`;
}

/**
 * Limits every route of the instance (`@fastify/rate-limit`): a request with a valid key counts
 * against its key, any other (anonymous, or a key that does not exist) against its address. So a
 * brute force of keys locks out the guesses from that address, never a valid key. Over a limit:
 * 429 with `Retry-After`. A counter that fails lets the request through: limits are no reason to
 * go down. Needs the request's caller resolved first (see `resolveCallers`).
 */
export async function installRateLimits(fastify: FastifyInstance, opts: RateLimitOptions): Promise<void> {
  const redis = opts.redisUrl === undefined ? undefined : new Redis(opts.redisUrl, { maxRetriesPerRequest: 2 });
  redis?.on("error", () => {});
  if (redis) fastify.addHook("onClose", async () => void (await redis.quit().catch(() => {})));
  const limitOf = (counter: string) => (counter.startsWith("key:") ? opts.limits.perKey : opts.limits.perAddress);
  await fastify.register(rateLimit, {
    ...(redis ? { redis, nameSpace: `${opts.redisNamespace}/ratelimit:` } : {}),
    skipOnError: true,
    keyGenerator: counterOf,
    max: (_request, counter) => limitOf(counter).limit,
    timeWindow: (_request, counter) => limitOf(counter).windowMs,
    // Scrapes of /metrics come from the operator's monitoring, not from API clients.
    allowList: (request) => request.url === "/metrics",
    addHeadersOnExceeding: { "x-ratelimit-limit": false, "x-ratelimit-remaining": false, "x-ratelimit-reset": false },
    addHeaders: { "x-ratelimit-limit": false, "x-ratelimit-remaining": false, "x-ratelimit-reset": false, "retry-after": true },
    errorResponseBuilder: (request) =>
      new HttpError(429, `Too many requests for this ${counterOf(request).startsWith("key:") ? "API key" : "address"}: retry later`),
  });
}
