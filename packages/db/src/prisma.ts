import { PrismaPg } from "@prisma/adapter-pg";
import type { Pool } from "pg";
import { PrismaClient } from "./generated/prisma/client.js";
import { SESSION_OPTIONS } from "./pool.js";

export type { PrismaClient } from "./generated/prisma/client.js";

/**
 * A Prisma client over node-postgres: the query compiler runs in-process, no engine binary. Given a
 * pool, it shares the pool's connections; given a URL, it has its own.
 */
export function createPrismaClient(source: string | Pool): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(typeof source === "string" ? { connectionString: source, options: SESSION_OPTIONS } : source) });
}
