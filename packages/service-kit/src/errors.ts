import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";

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
  error: { status: number; code?: number; title: string; detail: string; errors?: ErrorSource[] };
}

/** `code` is RIPE Atlas's numeric error code where it has one (104: unknown key). */
export function errorBody(status: number, detail: string, errors?: ErrorSource[], code?: number): ErrorBody {
  const body: ErrorBody = { error: { status, ...(code === undefined ? {} : { code }), title: STATUS_CODES[status] ?? "Error", detail } };
  if (errors && errors.length > 0) body.error.errors = errors;
  return body;
}

/** An error a route throws to answer with a 4xx (with RIPE's `code` when given); anything else is a 500 and is logged. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errors?: ErrorSource[],
    readonly code?: number,
  ) {
    super(message);
  }
}

/** A 400 naming the query parameter at fault. */
export function badParameter(parameter: string, detail: string): HttpError {
  return new HttpError(400, `${parameter}: ${detail}`, [{ source: { pointer: `/querystring/${parameter}` }, detail }]);
}

/** Longer request targets are refused with 414 (node's own limit on all headers is raised above it). */
export const MAX_URL_LENGTH = 8 * 1024;
/** What the HTTP server accepts as request line and headers together: beyond it, 431. */
export const MAX_HEADER_SIZE = 64 * 1024;

/**
 * Sends an error body as what it is: headers that an answer begun as a stream had set (its
 * compression, its file name) would otherwise describe a body that is not sent.
 */
function sendError(reply: FastifyReply, body: ErrorBody): FastifyReply {
  for (const header of ["content-encoding", "content-disposition", "content-length"]) reply.removeHeader(header);
  return reply.status(body.error.status).type("application/json; charset=utf-8").send(body);
}

/**
 * Fastify's `frameworkErrors`: what the router refuses before any route (a path parameter too long,
 * a URL not decodable) answered in our error shape.
 */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode ?? 400;
  const detail = err.code === "FST_ERR_MAX_PARAM_LENGTH" ? "A path parameter is too long" : err.code === "FST_ERR_BAD_URL" ? "The path is not a valid URL component" : "The request is not valid";
  void sendError(reply, errorBody(status, detail, [{ source: { pointer: "/params" }, detail }]));
}

/** Answers requests the HTTP parser refused (headers too large, bad syntax) in our error shape too. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  const body = JSON.stringify(errorBody(status, status === 431 ? "Request line and headers are too large" : "The request could not be read"));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * Installs the error and not-found handlers: schema failures name the field, a body too large or
 * not parseable says so, a request target too long is a 414, and nothing internal leaks into a 500.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.addHook("onRequest", async (request) => {
    if (request.url.length > MAX_URL_LENGTH) throw new HttpError(414, `The request target is longer than ${MAX_URL_LENGTH} characters`);
  });
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) {
      return sendError(reply, errorBody(err.statusCode, err.message, err.errors, err.code));
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
      return sendError(reply, errorBody(400, detail, errors));
    }
    // 503 is an overload a client may retry (under-pressure's, with its Retry-After), not a failure of ours.
    const status = err.statusCode && ((err.statusCode >= 400 && err.statusCode < 500) || err.statusCode === 503) ? err.statusCode : 500;
    if (status === 500) {
      request.log.error({ err }, "request failed");
      return sendError(reply, errorBody(500, "Internal server error"));
    }
    return sendError(reply, errorBody(status, err.message));
  });
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, errorBody(404, `No route for ${request.method} ${request.url.split("?")[0]}`));
  });
}
