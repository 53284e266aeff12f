import { request, type IncomingMessage } from "node:http";
import WebSocket from "ws";
import { messageText } from "../stream-clients.js";
import type { Transport } from "./subscribers.js";

/**
 * A stream client that subscribes and then stops reading: its TCP socket is paused, so what the
 * gateway sends piles up in the gateway. `close()` ends it from this side.
 */
export interface SlowConsumer {
  transport: Transport;
  close(): void;
}

const subscription = (msmId: number) => ({ stream_type: "result", msm: msmId });

/** A socket.io client speaking Engine.IO 4 over a raw WebSocket, so that it can stop reading. */
function slowSocketIo(gatewayUrl: string, msmId: number): Promise<SlowConsumer> {
  const ws = new WebSocket(`${gatewayUrl.replace(/^http/, "ws")}/stream/socket.io/?EIO=4&transport=websocket`);
  return new Promise((resolve, reject) => {
    ws.once("error", reject);
    ws.on("message", (data) => {
      const text = messageText(data);
      if (text.startsWith("0")) ws.send("40");
      else if (text.startsWith("40")) ws.send(`42${JSON.stringify(["atlas_subscribe", subscription(msmId)])}`);
      else if (text.startsWith('42["atlas_subscribed"')) {
        ws.pause();
        resolve({ transport: "socket.io", close: () => ws.terminate() });
      }
    });
  });
}

function slowWebSocket(gatewayUrl: string, msmId: number): Promise<SlowConsumer> {
  const ws = new WebSocket(`${gatewayUrl.replace(/^http/, "ws")}/stream/`);
  return new Promise((resolve, reject) => {
    ws.once("error", reject);
    ws.once("open", () => ws.send(JSON.stringify(["atlas_subscribe", subscription(msmId)])));
    ws.on("message", (data) => {
      if (messageText(data).startsWith('["atlas_subscribed"')) {
        ws.pause();
        resolve({ transport: "websocket", close: () => ws.terminate() });
      }
    });
  });
}

function slowHttp(gatewayUrl: string, msmId: number): Promise<SlowConsumer> {
  return new Promise((resolve, reject) => {
    const req = request(`${gatewayUrl}/stream/?streamType=result&msm=${msmId}`, (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`HTTP stream answered ${res.statusCode}`));
      res.once("data", () => {
        res.pause();
        resolve({ transport: "http", close: () => req.destroy() });
      });
    });
    req.once("error", reject);
    req.end();
  });
}

export function slowConsumer(transport: Transport, gatewayUrl: string, msmId: number): Promise<SlowConsumer> {
  if (transport === "socket.io") return slowSocketIo(gatewayUrl, msmId);
  if (transport === "websocket") return slowWebSocket(gatewayUrl, msmId);
  return slowHttp(gatewayUrl, msmId);
}

/** The gateway's open stream sessions by transport, from its `/metrics`. */
export async function sessionsByTransport(gatewayUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^gateway_stream_sessions\{[^}]*transport="([^"]+)"[^}]*\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}
