import Fastify, { type FastifyInstance } from "fastify";
import { installErrorHandlers, loggerOptions } from "@probestream/service-kit";
import { gatewayPlugin, type GatewayOptions } from "./plugin.js";

/** A fastify instance hosting the gateway plugin, with our error format and structured logs. */
export async function createGatewayApp(opts: GatewayOptions, logger: boolean | object = loggerOptions()): Promise<FastifyInstance> {
  // RIPE Atlas paths end in "/"; clients that leave it off are served the same.
  const app = Fastify({ logger, routerOptions: { ignoreTrailingSlash: true }, trustProxy: opts.trustProxy ?? false });
  installErrorHandlers(app);
  app.addHook("onSend", async (_request, reply) => {
    reply.header("access-control-allow-origin", "*");
    // Browser scripts may read which parameters were ignored and a download's file name.
    reply.header("access-control-expose-headers", "warning, content-disposition, retry-after");
  });
  await app.register(gatewayPlugin, opts);
  return app;
}
