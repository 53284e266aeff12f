import type { Server } from "socket.io";

/**
 * Engine.IO 3 long-polling in binary framing, for the socket.io 1.x-era clients RIPE Atlas users
 * still run (the Python `socketIO-client` 0.6 under cousteau's `AtlasStream`).
 *
 * Why a hand-written piece: engine.io-parser 1.x (the socket.io 1.x servers) framed every polling
 * payload as binary — `0x00`, the length as digit bytes, `0xFF`, the packet — whenever the client
 * had not asked for base64 (`b64`), and those clients read nothing else. Today's engine.io keeps
 * Engine.IO 3 for socket.io v2 clients (`allowEIO3`) but frames as text unless a packet holds
 * binary data, and offers no option for it. Its v3 parser still has the binary encoder, so a
 * polling transport of such a client gets a parser whose payload encoder is that one; the response
 * then goes out as `application/octet-stream`, which socket.io v2 clients read as well.
 */

interface V3Parser {
  encodePayloadAsBinary(packets: unknown[], callback: (data: Buffer) => void): void;
}

interface EngineTransport {
  name: string;
  protocol: number;
  supportsBinary: boolean;
  parser: V3Parser;
}

interface EngineRequest {
  _query: Record<string, string | undefined>;
}

type CreateTransport = (name: string, req: EngineRequest) => EngineTransport;

export function binaryPollingForEngineIo3(engine: Server["engine"]): void {
  // createTransport is protected in engine.io's types; it makes the transport of every handshake and upgrade.
  const target = engine as unknown as { createTransport: CreateTransport };
  const create = target.createTransport.bind(engine);
  target.createTransport = (name, req) => {
    const transport = create(name, req);
    // JSONP (`j`) carries text only; `b64` is how a client says it cannot read binary.
    if (transport.name === "polling" && transport.protocol === 3 && transport.supportsBinary && typeof req._query.j !== "string") {
      const parser = transport.parser;
      transport.parser = Object.create(parser, {
        encodePayload: {
          value: (packets: unknown[], _supportsBinary: boolean, callback: (data: Buffer) => void) =>
            parser.encodePayloadAsBinary(packets, callback),
        },
      }) as V3Parser;
    }
    return transport;
  };
}
