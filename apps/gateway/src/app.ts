import Fastify, { type FastifyInstance } from "fastify";
import { clientErrorHandler, frameworkErrors, installErrorHandlers, loggerOptions, MAX_HEADER_SIZE } from "@probestream/service-kit";
import { gatewayPlugin, type GatewayOptions } from "./plugin.js";

/** A fastify instance hosting the gateway plugin, with our error format and structured logs. */
export async function createGatewayApp(opts: GatewayOptions, logger: boolean | object = loggerOptions()): Promise<FastifyInstance> {
  const app = Fastify({
    logger,
    // RIPE Atlas paths end in "/"; clients that leave it off are served the same.
    routerOptions: { ignoreTrailingSlash: true },
    trustProxy: opts.trustProxy ?? false,
    // A stop must not wait for a client that holds a download or a stream open.
    forceCloseConnections: true,
    // Long request targets get a 414 in our error shape (see installErrorHandlers), not node's bare 431.
    http: { maxHeaderSize: MAX_HEADER_SIZE },
    clientErrorHandler,
    frameworkErrors,
  });
  installErrorHandlers(app);
  await app.register(gatewayPlugin, opts);
  return app;
}
