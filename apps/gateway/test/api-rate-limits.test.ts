import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { randomBytes } from "node:crypto";
import { createPool, ResultReader, type Pool } from "@probestream/db";
import { createBus, type MessageBus } from "@probestream/bus";
import { createGatewayApp } from "@probestream/gateway";
import { createApiKey, createTestDatabase, type TestDatabase } from "@probestream/testkit";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let db: TestDatabase;
let pool: Pool;
let bus: MessageBus;
const apps: FastifyInstance[] = [];

async function gateway(opts: Parameters<typeof createGatewayApp>[0]): Promise<string> {
  const app = await createGatewayApp(opts, false);
  apps.push(app);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("not listening");
  return `http://127.0.0.1:${address.port}`;
}

beforeAll(async () => {
  db = await createTestDatabase("api_rate_limits");
  pool = createPool(db.url, 5);
  bus = createBus(undefined, "");
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await bus?.close();
  await pool?.end();
  await db?.drop();
});

describe("rate limits", () => {
  it("answers 429 with Retry-After past the per-address limit, on every route", async () => {
    const url = await gateway({
      pool, bus, reader: new ResultReader(pool),
      rateLimits: { perAddress: { limit: 4, windowMs: 30_000 }, perKey: { limit: 100, windowMs: 30_000 } },
    });
    const paths = ["/api/v2/measurements/", "/api/v2/probes/", "/api/v2/measurements/1/results/", "/api/v2/docs/"];
    for (const path of paths) expect((await fetch(`${url}${path}`)).status).not.toBe(429);
    for (const path of [...paths, "/api/v2/openapi.json", "/stream/?streamType=result&msm=1", "/socket.io.js"]) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(30);
      expect(((await res.json()) as { error: { status: number } }).error.status).toBe(429);
    }
    // Monitoring scrapes are not API traffic.
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
  });

  it("shares per-key limits between gateways through Redis", async () => {
    // A fresh window name space: the key is new, so its counter starts at zero.
    const { key } = await createApiKey(db.url, `rate-${randomBytes(4).toString("hex")}`, []);
    const limits = { perAddress: { limit: 1000, windowMs: 60_000 }, perKey: { limit: 3, windowMs: 20_000 } };
    const a = await gateway({ pool, bus, reader: new ResultReader(pool), redisUrl: REDIS_URL, rateLimits: limits });
    const b = await gateway({ pool, bus, reader: new ResultReader(pool), redisUrl: REDIS_URL, rateLimits: limits });
    const statuses: number[] = [];
    for (const url of [a, b, a, b]) {
      statuses.push((await fetch(`${url}/api/v2/measurements/`, { headers: { authorization: `Key ${key}` } })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const byQuery = await fetch(`${a}/api/v2/probes/?key=${key}`);
    expect(byQuery.status).toBe(429);
    expect(Number(byQuery.headers.get("retry-after"))).toBeGreaterThan(0);
    // Without the key, the same client is not limited by the key's count.
    expect((await fetch(`${a}/api/v2/probes/`)).status).toBe(200);
  });
});
