import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.js";

export type { PrismaClient } from "./generated/prisma/client.js";

/** A Prisma client over node-postgres: the query compiler runs in-process, no engine binary. */
export function createPrismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
}
