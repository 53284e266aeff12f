import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { apiKeyOf, type ApiKeys, type Caller } from "../../access/api-keys.js";
import type { Frame } from "../frame.js";
import { discardConnection, StreamSession, type StreamTransport } from "../session.js";
import type { StreamHub } from "../stream-hub.js";
import { MAX_CLIENT_MESSAGE } from "./socket-io.js";

export const PLAIN_STREAM_PATH = "/stream/";

const transport: StreamTransport = { name: "websocket", endsWithSubscription: false };

/** What ws accepts of one message: more than a client may send, so that an oversized one is refused, not cut off. */
const MAX_FRAME = 4 * MAX_CLIENT_MESSAGE;

class WebSocketSession extends StreamSession {
  private corked = false;

  constructor(
    readonly ws: WebSocket,
    private readonly tcp: Duplex,
    address: string,
    caller: Caller,
  ) {
    super(transport, address, caller);
  }

  send(frame: Frame, withMeta = false): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.coalesce();
    this.ws.send(withMeta ? frame.jsonWithMeta : frame.json);
  }

  /**
   * The frames sent to this client in one tick (a replay page, a buffered burst) leave in one write:
   * ws writes each frame on its own, one system call each (profiled here: a third of a replay's CPU).
   */
  private coalesce(): void {
    if (this.corked) return;
    this.corked = true;
    this.tcp.cork();
    process.nextTick(() => {
      this.corked = false;
      this.tcp.uncork();
    });
  }

  bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  close(discard = false): void {
    if (discard) discardConnection(this.tcp);
    else this.ws.close(1008, "closed by server");
  }
}

const NOT_AN_EVENT = 'messages are JSON arrays: ["atlas_subscribe", {...}]';

function reject(socket: Duplex, status: number, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${message}\n`);
}

/**
 * Plain WebSocket at `/stream/` for clients without a socket.io library: JSON arrays both ways,
 * `["atlas_subscribe", {...}]` in, `["atlas_result", {...}]` out (a third element
 * `{"position": "..."}` with `sendPositions`).
 *
 * No WebSocket pings: a ping frame wakes the client's read and so resets its read timeout, and a
 * client that asked for a 30 s timeout must get it on a quiet stream. A vanished peer is noticed by
 * TCP keepalive instead; while results flow, the slow-client limit drops one that stopped reading.
 */
export function attachWebSocket(server: HttpServer, hub: StreamHub, keys: ApiKeys): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== PLAIN_STREAM_PATH && url.pathname !== "/stream") return;
    const address = request.socket.remoteAddress ?? "";
    if (!hub.admits(address)) return reject(socket, 429, "Too many connections from this address");
    const key = apiKeyOf(Object.fromEntries(url.searchParams), request.headers.authorization);
    keys.resolve(key).then(
      (caller) =>
        wss.handleUpgrade(request, socket, head, (ws) => {
          request.socket.setKeepAlive(true, hub.limits.keepAliveMs);
          serve(ws, socket, address, caller);
        }),
      (err: Error) => reject(socket, 403, err.message),
    );
  });

  const serve = (ws: WebSocket, tcp: Duplex, address: string, caller: Caller) => {
    const session = new WebSocketSession(ws, tcp, address, caller);
    hub.attach(session);
    // Messages arrive as one Buffer each (ws's default binaryType), text and binary alike.
    ws.on("message", (data) => {
      const bytes = data as Buffer;
      if (bytes.length > MAX_CLIENT_MESSAGE) {
        session.error(`message too large: ${bytes.length} bytes, at most ${MAX_CLIENT_MESSAGE}`, undefined, "too_large");
        return;
      }
      let message: unknown;
      try {
        message = JSON.parse(bytes.toString("utf8"));
      } catch {
        session.error(NOT_AN_EVENT);
        return;
      }
      if (!Array.isArray(message) || typeof message[0] !== "string") {
        session.error(NOT_AN_EVENT);
        return;
      }
      void hub.handle(session, message[0], message[1]);
    });
    ws.on("close", () => hub.detach(session));
    ws.on("error", () => hub.detach(session));
  };

  return wss;
}
