import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Duplex } from "node:stream";
import { Server, type Socket } from "socket.io";
import WebSocket from "ws";
import { StreamEvents } from "@probestream/types";
import { apiKeyOf, type ApiKeys, type Caller } from "../../access/api-keys.js";
import type { Frame } from "../frame.js";
import { discardConnection, StreamSession, type StreamTransport } from "../session.js";
import type { StreamHub } from "../stream-hub.js";
import { binaryPollingForEngineIo3 } from "./eio3-binary-polling.js";

export const STREAM_SOCKET_PATH = "/stream/socket.io";

/** Largest message a client may send, in bytes. */
export const MAX_CLIENT_MESSAGE = 64 * 1024;

/** What engine.io holds for one client; `data` is a socket.io packet already encoded. */
interface EnginePacket {
  data?: string | Buffer;
}

interface EngineTransport {
  name: string;
  send(packets: unknown[]): void;
  socket?: { bufferedAmount?: number; _socket?: Duplex };
}

interface EngineSocket {
  on(event: "packetCreate", listener: (packet: EnginePacket) => void): void;
  on(event: "flush", listener: () => void): void;
  on(event: "upgrade", listener: () => void): void;
  write(data: string, options: EventPacket["options"]): void;
  transport?: EngineTransport;
}

/**
 * engine.io hands its WebSocket transport all the packets waiting for a client at once, and ws
 * writes each as its own frame, one system call each (profiled here: a third of a replay's CPU);
 * with the TCP socket corked around the hand-over they leave in one write. engine.io and ws offer
 * no such option, so this wraps the transport's `send` (and the one a client upgrades to).
 */
function coalesceWebSocketWrites(conn: EngineSocket): void {
  const wrap = () => {
    const transport = conn.transport;
    const tcp = transport?.socket?._socket;
    if (!transport || transport.name !== "websocket" || !tcp || coalesced.has(transport)) return;
    coalesced.add(transport);
    const send = transport.send.bind(transport);
    transport.send = (packets) => {
      tcp.cork();
      try {
        send(packets);
      } finally {
        tcp.uncork();
      }
    };
  };
  wrap();
  conn.on("upgrade", wrap);
}
const coalesced = new WeakSet<EngineTransport>();

/** ws's frame encoder, which engine.io's WebSocket transport sends as is (untyped in @types/ws). */
const wsFrame = (WebSocket as unknown as {
  Sender: { frame(data: Buffer, options: { readOnly: boolean; mask: boolean; rsv1: boolean; opcode: number; fin: boolean }): Buffer[] };
}).Sender.frame;

/** A socket.io EVENT packet of the default namespace, encoded once for all the sessions it goes to. */
interface EventPacket {
  text: string;
  options: { wsPreEncodedFrame: Buffer[] };
}

/**
 * The packet socket.io would encode for `emit(event, payload[, meta])`, written from the frame's
 * JSON instead: `2` (EVENT) and the `[event, payload…]` array the frame already holds, so a stored
 * result's JSON is sent as stored rather than parsed and serialised again (profiled here: the
 * parse, socket.io's stringify and its scan for binaries took a quarter of a replay's CPU). Like
 * socket.io's own broadcasts, it carries the WebSocket frame of engine.io's message packet (`4`…),
 * made once for every WebSocket client.
 */
function eventPacket(frame: Frame, withMeta: boolean): EventPacket {
  const text = `2${withMeta ? frame.jsonWithMeta : frame.json}`;
  const wsPreEncodedFrame = wsFrame(Buffer.from(`4${text}`), { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true });
  return { text, options: { wsPreEncodedFrame } };
}

class SocketIoSession extends StreamSession {
  /** Bytes of the packets engine.io holds for this client until its transport can take them. */
  private queued = 0;

  constructor(
    readonly socket: Socket,
    transport: StreamTransport,
    caller: Caller,
  ) {
    super(transport, socket.handshake.address, caller);
    const conn = this.engineSocket;
    // A packet joins engine.io's write buffer when created; a flush hands the whole buffer to the transport.
    conn.on("packetCreate", (packet) => {
      // String length counts bytes for the ASCII of JSON results (measuring UTF-8 would cost a scan).
      this.queued += typeof packet.data === "string" ? packet.data.length : (packet.data?.byteLength ?? 0);
    });
    conn.on("flush", () => {
      this.queued = 0;
    });
    coalesceWebSocketWrites(conn);
  }

  private get engineSocket(): EngineSocket {
    return this.socket.conn as unknown as EngineSocket;
  }

  send(frame: Frame, withMeta = false): void {
    this.write(eventPacket(frame, withMeta));
  }

  write(packet: EventPacket): void {
    this.engineSocket.write(packet.text, packet.options);
  }

  bufferedBytes(): number {
    // What engine.io still holds, plus what its WebSocket has taken and not yet written (polling has none).
    return this.queued + (this.engineSocket.transport?.socket?.bufferedAmount ?? 0);
  }

  close(discard = false): void {
    // Before socket.io's own close, which would end the WebSocket politely behind the backlog.
    if (discard) discardConnection(this.engineSocket.transport?.socket?._socket);
    this.socket.disconnect(true);
    if (discard) this.socket.conn.close(true);
  }
}

/** `//stream/...` → `/stream/...`: socketIO-client 0.6 (cousteau 1.4) joins host and resource with a doubled slash. */
function normaliseStreamPath(request: IncomingMessage): void {
  const url = request.url;
  if (url !== undefined && url.startsWith("//")) request.url = url.replace(/^\/{2,}(?=stream(?:[/?]|$))/, "/");
}

/**
 * The RIPE Atlas socket.io endpoint, for Engine.IO 4 clients and the Engine.IO 3 clients of the
 * socket.io v2 and v1 eras. The API key comes as `?key=`, `auth.key` or an `Authorization: Key` header.
 */
export function attachSocketIo(server: HttpServer, hub: StreamHub, keys: ApiKeys): Server {
  const io = new Server(server, {
    path: STREAM_SOCKET_PATH,
    allowEIO3: true,
    serveClient: true,
    cors: { origin: true, credentials: true },
    maxHttpBufferSize: MAX_CLIENT_MESSAGE,
    pingInterval: 25_000,
    pingTimeout: 20_000,
    // Upgrades for other paths (the plain WebSocket at /stream/) are not ours to refuse.
    destroyUpgrade: false,
  });
  binaryPollingForEngineIo3(io.engine);
  // Ahead of every other listener (engine.io's, which took over the others, and the plain
  // WebSocket's), on requests and upgrades alike.
  server.prependListener("request", normaliseStreamPath);
  server.prependListener("upgrade", normaliseStreamPath);
  io.use((socket, next) => {
    if (!hub.admits(socket.handshake.address)) return next(new Error("too many connections from this address"));
    const auth = socket.handshake.auth as { key?: unknown };
    const key = typeof auth.key === "string" ? auth.key : apiKeyOf(socket.handshake.query, socket.handshake.headers.authorization);
    keys.resolve(key).then(
      (caller) => {
        socket.data.caller = caller;
        next();
      },
      (err: Error) => next(err),
    );
  });
  const transport: StreamTransport = {
    name: "socket.io",
    endsWithSubscription: false,
    // One encoding and one WebSocket frame for all the sessions a result reaches.
    broadcast(targets, frame, withMeta) {
      const packet = eventPacket(frame, withMeta);
      for (const session of targets) (session as SocketIoSession).write(packet);
    },
  };
  io.on("connection", (socket) => {
    const session = new SocketIoSession(socket, transport, socket.data.caller as Caller);
    hub.attach(session);
    for (const event of [StreamEvents.subscribe, StreamEvents.unsubscribe]) {
      socket.on(event, (payload: unknown) => void hub.handle(session, event, payload));
    }
    socket.on("disconnect", () => hub.detach(session));
  });
  return io;
}
