import Fastify, { LogController, type FastifyInstance } from "fastify";
import { installErrorHandlers, loggerOptions } from "@probestream/service-kit";
import { ingestPlugin, type IngestOptions } from "./plugin.js";

/** A fastify instance hosting the ingest plugin, with our error format and structured logs. */
export async function createIngestApp(opts: IngestOptions, logger: boolean | object = loggerOptions()): Promise<FastifyInstance> {
  // Thousands of probes post every few seconds: requests are counted in /metrics, not logged one by one.
  const app = Fastify({
    logger,
    bodyLimit: opts.bodyLimit ?? 16 * 1024 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
  });
  installErrorHandlers(app);
  await app.register(ingestPlugin, opts);
  return app;
}
