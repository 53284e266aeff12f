import type { FastifyInstance } from "fastify";
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * `GET /socket.io.js`: the browser client, where the RIPE Atlas seed page loads it from
 * (`<script src="https://HOST/socket.io.js">`). It is the bundle socket.io itself ships, matching
 * the server's protocol.
 */
export async function socketIoClientRoute(fastify: FastifyInstance): Promise<void> {
  const require = createRequire(import.meta.url);
  const bundle = await readFile(join(dirname(require.resolve("socket.io/package.json")), "client-dist", "socket.io.min.js"));
  fastify.get("/socket.io.js", async (_request, reply) => {
    reply.type("application/javascript; charset=utf-8").header("cache-control", "public, max-age=3600");
    return reply.send(bundle);
  });
}
