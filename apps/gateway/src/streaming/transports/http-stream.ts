import type { FastifyInstance } from "fastify";
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { StreamEvents, parseSubscription, subscriptionFromQuery } from "@probestream/types";
import { HttpError } from "@probestream/service-kit";
import type { Caller } from "../../access/api-keys.js";
import { refuseUnknownKey } from "../../api/caller.js";
import type { Frame } from "../frame.js";
import { discardConnection, StreamSession, type StreamTransport } from "../session.js";
import type { StreamHub } from "../stream-hub.js";

/** One subscription per request: the response ends with it. */
const transport: StreamTransport = { name: "http", endsWithSubscription: true };

class HttpStreamSession extends StreamSession {
  constructor(
    readonly res: ServerResponse,
    address: string,
    caller: Caller,
  ) {
    super(transport, address, caller);
  }

  send(frame: Frame, withMeta = false): void {
    if (!this.res.writableEnded) this.res.write(`${withMeta ? frame.jsonWithMeta : frame.json}\n`);
  }

  bufferedBytes(): number {
    return this.res.writableLength;
  }

  close(discard = false): void {
    if (discard) discardConnection(this.res.socket);
    else this.res.end();
  }
}

/**
 * Plain HTTP streaming on `GET /stream/` for clients behind firewalls that block WebSocket: the
 * subscription in the query string, one JSON array per line for as long as the client reads
 * (`curl -N 'http://HOST:8080/stream/?streamType=result&msm=1001'`). No heartbeat lines (they
 * would reset the client's read timeout): TCP keepalive notices a vanished peer.
 */
export async function httpStreamRoute(fastify: FastifyInstance, opts: { hub: StreamHub }): Promise<void> {
  fastify.get(
    "/stream/",
    {
      schema: {
        description:
          "Streams one subscription as NDJSON: each line is [event, payload] ([event, payload, meta] for results with sendPositions=true). Parameters as atlas_subscribe, plus key.",
        querystring: { type: "object", additionalProperties: true },
      },
    },
    async (request, reply) => {
      const { key: _key, ...query } = request.query as Record<string, unknown>;
      // Typed as a socket client would send them, so that atlas_subscribed echoes msm=1001 as 1001.
      const params = subscriptionFromQuery(query);
      const parsed = parseSubscription(params);
      if (!parsed.ok) {
        throw new HttpError(400, parsed.error.message, [
          { source: { pointer: `/querystring/${parsed.error.parameter ?? ""}` }, detail: parsed.error.message },
        ]);
      }
      const address = request.ip;
      if (!opts.hub.admits(address)) throw new HttpError(429, "Too many connections from this address");
      // The caller was resolved as the request arrived (resolveCallers, on the whole gateway).
      refuseUnknownKey(request);

      reply.hijack();
      const res = reply.raw;
      // The headers hooks gave the reply (CORS by whether a key was sent, security headers) go out too.
      res.writeHead(200, {
        ...(reply.getHeaders() as OutgoingHttpHeaders),
        "content-type": "application/x-ndjson; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      });
      request.raw.socket.setKeepAlive(true, opts.hub.limits.keepAliveMs);
      const session = new HttpStreamSession(res, address, request.caller);
      opts.hub.attach(session);
      res.on("close", () => opts.hub.detach(session));
      await opts.hub.handle(session, StreamEvents.subscribe, params);
      if (session.subscriptions.size === 0) res.end();
    },
  );
}
