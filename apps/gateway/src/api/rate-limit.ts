import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Redis } from "ioredis";
import { errorBody } from "@probestream/service-kit";
import { apiKeyOf, hashApiKey } from "../access/api-keys.js";

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

/** A counter of requests per name and window: `hit` counts one and tells how many so far. */
export interface RateCounter {
  hit(name: string, windowMs: number): Promise<{ count: number; resetMs: number }>;
  close(): Promise<void>;
}

/** Counts in this process: right for one gateway. */
export class MemoryRateCounter implements RateCounter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly sweeper = setInterval(() => this.sweep(), 10_000).unref();

  async hit(name: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    const now = Date.now();
    let w = this.windows.get(name);
    if (!w || w.resetAt <= now) this.windows.set(name, (w = { count: 0, resetAt: now + windowMs }));
    w.count++;
    return { count: w.count, resetMs: w.resetAt - now };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [name, w] of this.windows) if (w.resetAt <= now) this.windows.delete(name);
  }
}

// Counts and starts the window in one step, so that concurrent gateways share one count.
const HIT = `
  local n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
  return {n, redis.call('PTTL', KEYS[1])}`;

/** Counts in Redis: every gateway sharing the Redis shares the limits. */
export class RedisRateCounter implements RateCounter {
  private readonly redis: Redis;

  /** `namespace` keeps deployments sharing one Redis apart (see the bus namespace). */
  constructor(
    url: string,
    private readonly namespace: string,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 });
    this.redis.on("error", () => {});
  }

  async hit(name: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    const [count, ttl] = (await this.redis.eval(HIT, 1, `${this.namespace}/ratelimit:${name}`, windowMs)) as [number, number];
    return { count, resetMs: ttl > 0 ? ttl : windowMs };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => {});
  }
}

function tooMany(reply: FastifyReply, resetMs: number, what: string): FastifyReply {
  return reply
    .status(429)
    .header("retry-after", String(Math.max(1, Math.ceil(resetMs / 1000))))
    .send(errorBody(429, `Too many requests for this ${what}: retry later`));
}

/**
 * Limits every route of the instance, per client address and per API key (counted by the key's
 * hash, before it is looked up, so that unknown keys are limited too). Over a limit: 429 with
 * `Retry-After`. A counter that fails lets the request through: limits are no reason to go down.
 */
export function installRateLimits(fastify: FastifyInstance, counter: RateCounter, limits: RateLimits): void {
  fastify.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    // Scrapes of /metrics come from the operator's monitoring, not from API clients.
    if (request.url === "/metrics") return;
    try {
      const byAddress = await counter.hit(`ip:${request.ip}`, limits.perAddress.windowMs);
      if (byAddress.count > limits.perAddress.limit) return tooMany(reply, byAddress.resetMs, "address");
      const key = apiKeyOf(request.query, request.headers.authorization);
      if (key !== undefined) {
        const byKey = await counter.hit(`key:${hashApiKey(key)}`, limits.perKey.windowMs);
        if (byKey.count > limits.perKey.limit) return tooMany(reply, byKey.resetMs, "API key");
      }
    } catch (err) {
      request.log.warn({ err }, "rate limit counter unavailable");
    }
  });
}
