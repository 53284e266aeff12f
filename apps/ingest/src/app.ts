import Fastify, { LogController, type FastifyInstance } from "fastify";
import { clientErrorHandler, frameworkErrors, installErrorHandlers, loggerOptions, MAX_HEADER_SIZE } from "@probestream/service-kit";
import { ingestPlugin, type IngestOptions } from "./plugin.js";

/** A fastify instance hosting the ingest plugin, with our error format and structured logs. */
export async function createIngestApp(opts: IngestOptions, logger: boolean | object = loggerOptions()): Promise<FastifyInstance> {
  // Thousands of probes post every few seconds: requests are counted in /metrics, not logged one by one.
  const app = Fastify({
    logger,
    bodyLimit: opts.bodyLimit ?? 16 * 1024 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    // A stop must not wait for a probe's open connection.
    forceCloseConnections: true,
    // Oversized request targets and headers get our error shape, as on the gateway.
    http: { maxHeaderSize: MAX_HEADER_SIZE },
    clientErrorHandler,
    frameworkErrors,
  });
  installErrorHandlers(app);
  await app.register(ingestPlugin, opts);
  return app;
}
