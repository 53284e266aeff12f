import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import { messageText } from "../stream-clients.js";
import { resultKey } from "./sender.js";

export type Transport = "socket.io" | "websocket" | "http";
type Json = Record<string, unknown>;

export interface Delivery {
  key: string;
  position: string | undefined;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/**
 * A stream subscriber to one measurement on any transport, always with `sendPositions`, that
 * records every result it gets and can move to another gateway, resuming from its last position.
 */
export class CollectingSubscriber {
  readonly deliveries: Delivery[] = [];
  readonly errors: unknown[] = [];
  /** Connections that ended without `close()` (a gateway that died, a dropped stream). */
  disconnects = 0;
  private closeCurrent: (() => void) | undefined;
  private gatewayUrl = "";
  private resumesLeft: number;

  /**
   * `resumeOnDrop`: how many times a connection the gateway ends (a slow-client cut when the test
   * machine is starved) is followed, as a real client would, by a new one resuming after the last
   * position. 0: a drop ends the subscription.
   */
  constructor(
    readonly transport: Transport,
    readonly msmId: number,
    readonly label: string = transport,
    resumeOnDrop = 0,
  ) {
    this.resumesLeft = resumeOnDrop;
  }

  get lastPosition(): string | undefined {
    for (let i = this.deliveries.length - 1; i >= 0; i--) if (this.deliveries[i]!.position) return this.deliveries[i]!.position;
    return undefined;
  }

  private params(resume: boolean): Json {
    const params: Json = { stream_type: "result", msm: this.msmId, sendPositions: true };
    const from = this.lastPosition;
    if (resume && from !== undefined) params.resumeFrom = from;
    return params;
  }

  private record(result: Json, position: string | undefined): void {
    this.deliveries.push({ key: resultKey(result), position, at: Date.now() });
  }

  /** Connects to `gatewayUrl` and resolves once subscribed; `resume` continues after the last position received. */
  async connect(gatewayUrl: string, resume = false): Promise<void> {
    this.closeCurrent?.();
    this.gatewayUrl = gatewayUrl;
    const params = this.params(resume);
    if (this.transport === "socket.io") await this.connectSocketIo(gatewayUrl, params);
    else if (this.transport === "websocket") await this.connectWebSocket(gatewayUrl, params);
    else await this.connectHttp(gatewayUrl, params);
  }

  private connectSocketIo(url: string, params: Json): Promise<void> {
    const socket: Socket = io(url, { path: "/stream/socket.io", transports: ["websocket"], forceNew: true, reconnection: false });
    let closing = false;
    this.closeCurrent = () => {
      closing = true;
      socket.close();
    };
    socket.on("atlas_result", (payload: Json | Json[], meta?: { position?: string }) => {
      const items = Array.isArray(payload) ? payload : [payload];
      items.forEach((r, i) => this.record(r, i === items.length - 1 ? meta?.position : undefined));
    });
    socket.on("atlas_error", (e: unknown) => this.errors.push(e));
    socket.on("disconnect", () => {
      if (!closing) this.dropped();
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no atlas_subscribed from ${url}`)), 10_000);
      socket.once("atlas_subscribed", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("connect_error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.emit("atlas_subscribe", params);
    });
  }

  private connectWebSocket(url: string, params: Json): Promise<void> {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/stream/`);
    let closing = false;
    this.closeCurrent = () => {
      closing = true;
      ws.terminate();
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no atlas_subscribed from ${url}`)), 10_000);
      ws.once("open", () => ws.send(JSON.stringify(["atlas_subscribe", params])));
      ws.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on("close", () => {
        if (!closing) this.dropped();
      });
      ws.on("message", (data) => {
        const [event, payload, meta] = JSON.parse(messageText(data)) as [string, Json | Json[], { position?: string } | undefined];
        if (event === "atlas_subscribed") {
          clearTimeout(timer);
          resolve();
        } else if (event === "atlas_result") {
          const items = Array.isArray(payload) ? payload : [payload];
          items.forEach((r, i) => this.record(r, i === items.length - 1 ? meta?.position : undefined));
        } else if (event === "atlas_error") this.errors.push(payload);
      });
    });
  }

  private async connectHttp(url: string, params: Json): Promise<void> {
    const query = new URLSearchParams({ streamType: "result", msm: String(params.msm), sendPositions: "true" });
    if (params.resumeFrom !== undefined) query.set("resumeFrom", params.resumeFrom as string);
    const controller = new AbortController();
    let closing = false;
    this.closeCurrent = () => {
      closing = true;
      controller.abort();
    };
    const res = await fetch(`${url}/stream/?${query}`, { signal: controller.signal });
    if (res.status !== 200 || !res.body) throw new Error(`${this.label}: HTTP stream answered ${res.status}`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let subscribed!: () => void;
    const ready = new Promise<void>((resolve) => (subscribed = resolve));
    void (async () => {
      let pending = "";
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          pending += decoder.decode(value, { stream: true });
          const lines = pending.split("\n");
          pending = lines.pop() ?? "";
          for (const line of lines) {
            if (!line) continue;
            const [event, payload, meta] = JSON.parse(line) as [string, Json | Json[], { position?: string } | undefined];
            if (event === "atlas_subscribed") subscribed();
            else if (event === "atlas_result") {
              const items = Array.isArray(payload) ? payload : [payload];
              items.forEach((r, i) => this.record(r, i === items.length - 1 ? meta?.position : undefined));
            } else if (event === "atlas_error") this.errors.push(payload);
          }
        }
      } catch {
        // An aborted or reset stream: counted below.
      }
      if (!closing) this.dropped();
    })();
    await Promise.race([
      ready,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`${this.label}: no atlas_subscribed on the HTTP stream`)), 10_000)),
    ]);
  }

  /** The gateway ended the connection: counted, and followed by a resume while allowed. */
  private dropped(): void {
    this.disconnects++;
    if (this.resumesLeft <= 0) return;
    this.resumesLeft--;
    setTimeout(() => {
      this.connect(this.gatewayUrl, true).catch((err: unknown) => this.errors.push(err));
    }, 200);
  }

  close(): void {
    this.resumesLeft = 0;
    this.closeCurrent?.();
    this.closeCurrent = undefined;
  }

  /** What this subscriber got, checked against what was acknowledged: lost, duplicated, out of commit order. */
  audit(acknowledged: Set<string>): {
    received: number;
    lost: number;
    duplicated: number;
    unexpected: number;
    outOfOrder: number;
    disconnects: number;
  } {
    const seen = new Map<string, number>();
    for (const d of this.deliveries) seen.set(d.key, (seen.get(d.key) ?? 0) + 1);
    let lost = 0;
    for (const key of acknowledged) if (!seen.has(key)) lost++;
    let duplicated = 0;
    let unexpected = 0;
    for (const [key, n] of seen) {
      duplicated += n - 1;
      if (!acknowledged.has(key)) unexpected++;
    }
    let outOfOrder = 0;
    let previous = -1n;
    for (const d of this.deliveries) {
      if (d.position === undefined) continue;
      const position = BigInt(d.position);
      if (position <= previous) outOfOrder++;
      previous = position;
    }
    return { received: this.deliveries.length, lost, duplicated, unexpected, outOfOrder, disconnects: this.disconnects };
  }
}
