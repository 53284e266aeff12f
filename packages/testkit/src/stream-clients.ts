import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";

export type Json = Record<string, unknown>;

/** A WebSocket message as text, whichever of ws's shapes (one buffer, fragments, ArrayBuffer) it came in. */
export function messageText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

/** A result as received, with the stream position the server sent beside it (only to subscriptions with `sendPositions`). */
export interface Received {
  result: Json;
  position: string | undefined;
}

/**
 * A socket.io stream client that records everything it receives, by event, in order. Positions
 * come only with results of subscriptions made with `sendPositions: true`.
 */
export class StreamClient {
  readonly socket: Socket;
  readonly results: Received[] = [];
  readonly events: { event: string; payload: unknown }[] = [];

  constructor(gatewayUrl: string, opts: { key?: string } = {}) {
    this.socket = io(gatewayUrl, {
      path: "/stream/socket.io",
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      ...(opts.key ? { query: { key: opts.key } } : {}),
    });
    this.socket.onAny((event: string, payload: unknown, meta?: { position?: string }) => {
      if (event === "atlas_result") {
        const items = Array.isArray(payload) ? (payload as Json[]) : [payload as Json];
        for (const result of items) this.results.push({ result, position: meta?.position });
      } else this.events.push({ event, payload });
    });
  }

  /** Emits atlas_subscribe and resolves on atlas_subscribed, rejects on atlas_error. */
  subscribe(params: Json): Promise<void> {
    return new Promise((resolve, reject) => {
      const ok = () => {
        this.socket.off("atlas_error", fail);
        resolve();
      };
      const fail = (e: unknown) => {
        this.socket.off("atlas_subscribed", ok);
        reject(new Error(JSON.stringify(e)));
      };
      this.socket.once("atlas_subscribed", ok);
      this.socket.once("atlas_error", fail);
      this.socket.emit("atlas_subscribe", params);
    });
  }

  /** Resolves with the payload of the next `event` (or one already received that matches). */
  async next(event: string, timeoutMs = 10_000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
      this.socket.once(event, (payload: unknown) => {
        clearTimeout(timer);
        resolve(payload);
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** A plain WebSocket stream client (the JSON-array protocol: `[event, payload]`, plus `{position}` with `sendPositions`). */
export class PlainStreamClient {
  readonly ws: WebSocket;
  readonly messages: unknown[][] = [];
  readonly opened: Promise<void>;

  constructor(gatewayUrl: string, query = "") {
    this.ws = new WebSocket(`${gatewayUrl.replace(/^http/, "ws")}/stream/${query}`);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
    this.ws.on("message", (data) => this.messages.push(JSON.parse(messageText(data)) as unknown[]));
  }

  send(event: string, payload: unknown): void {
    this.ws.send(JSON.stringify([event, payload]));
  }

  of(event: string): unknown[][] {
    return this.messages.filter((m) => m[0] === event);
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * The HTTP stream (`GET /stream/?...`, one `[event, payload]` JSON array per line) read as it
 * arrives: `lines` grows with each complete line; `close()` aborts the request and waits for the
 * reader to stop.
 */
export async function openHttpStream(url: string): Promise<{ response: Response; lines: unknown[][]; close(): Promise<void> }> {
  const abort = new AbortController();
  const response = await fetch(url, { signal: abort.signal });
  const lines: unknown[][] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      text += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = text.indexOf("\n")) >= 0) {
        lines.push(JSON.parse(text.slice(0, nl)) as unknown[]);
        text = text.slice(nl + 1);
      }
    }
  })();
  return {
    response,
    lines,
    close: async () => {
      abort.abort();
      await pump;
    },
  };
}
