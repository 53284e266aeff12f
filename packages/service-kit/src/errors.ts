import type { FastifyError, FastifyInstance } from "fastify";
import { STATUS_CODES } from "node:http";

/**
 * One problem in a request, located by a JSON pointer: into the body as RIPE Atlas does
 * (`/definitions/0/af`), other parts under their name (`/querystring/start`, `/headers/authorization`).
 */
export interface ErrorSource {
  source: { pointer: string };
  detail: string;
}

/** The error body of every HTTP answer, in the shape of the RIPE Atlas API. */
export interface ErrorBody {
  error: { status: number; title: string; detail: string; errors?: ErrorSource[] };
}

export function errorBody(status: number, detail: string, errors?: ErrorSource[]): ErrorBody {
  const body: ErrorBody = { error: { status, title: STATUS_CODES[status] ?? "Error", detail } };
  if (errors && errors.length > 0) body.error.errors = errors;
  return body;
}

/** An error a route throws to answer with a 4xx; anything else is a 500 and is logged. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errors?: ErrorSource[],
  ) {
    super(message);
  }
}

/**
 * Installs the error and not-found handlers: schema failures name the field, a body too large or
 * not parseable says so, and nothing internal leaks into a 500.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) {
      return reply.status(err.statusCode).send(errorBody(err.statusCode, err.message, err.errors));
    }
    if (err.validation) {
      const where = err.validationContext ?? "body";
      const fields = err.validation.map((v) => {
        const missing = v.keyword === "required" ? `/${String(v.params.missingProperty)}` : "";
        return { path: `${v.instancePath}${missing}`, detail: missing ? "This field is required." : (v.message ?? "is invalid") };
      });
      const errors = fields.map((f) => ({
        source: { pointer: where === "body" ? f.path || "/" : `/${where}${f.path}` },
        detail: f.detail,
      }));
      const first = fields[0];
      const detail = first ? `${first.path.slice(1) || where}: ${first.detail}` : err.message;
      return reply.status(400).send(errorBody(400, detail, errors));
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) {
      request.log.error({ err }, "request failed");
      return reply.status(500).send(errorBody(500, "Internal server error"));
    }
    return reply.status(status).send(errorBody(status, err.message));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(errorBody(404, `No route for ${request.method} ${request.url.split("?")[0]}`));
  });
}
