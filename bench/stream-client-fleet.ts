/**
 * A fleet of socket.io stream clients in its own process (forked by stream-harness.ts), so that the
 * clients' parsing does not run on the server's event loop. It counts every result it receives, and
 * for results carrying `bench_sent_ms` records receive time minus that in a 0.1 ms histogram.
 *
 * Parent → fleet: {type:"connect", url, subscriptions} | {type:"reset"} | {type:"report"} | {type:"close"}
 * Fleet → parent: {type:"ready"} | {type:"progress", received, disconnected} | {type:"report", ...} | {type:"error", message}
 *                 | {type:"event", event, payload, received} for every atlas_replay_finished and atlas_backlog_sent
 */
import { performance } from "node:perf_hooks";
import { io, type Socket } from "socket.io-client";

export interface ConnectCommand {
  type: "connect";
  url: string;
  /** One atlas_subscribe payload per socket. */
  subscriptions: Record<string, unknown>[];
}

export type FleetCommand = ConnectCommand | { type: "reset" } | { type: "report" } | { type: "close" };

export interface FleetReport {
  type: "report";
  received: number;
  disconnected: number;
  /** [bucket of 0.1 ms, count] pairs of the latency histogram since the last reset. */
  latency: [number, number][];
  /** Results received by each socket, in the order of its subscriptions. */
  perSocket: number[];
}

export type FleetMessage =
  | { type: "ready" }
  | { type: "progress"; received: number; disconnected: number }
  | FleetReport
  | { type: "error"; message: string }
  | { type: "event"; event: string; payload: unknown; received: number };

const CONNECT_WAVE = 100;
/** Events the parent is told of as they come, with the count of results received before them. */
const FORWARDED = ["atlas_replay_finished", "atlas_backlog_sent"];
const PROGRESS_MS = 25;

const sockets: Socket[] = [];
let received = 0;
const perSocket: number[] = [];
let disconnected = 0;
let histogram = new Map<number, number>();

const send = (m: FleetMessage) => process.send!(m);
const now = () => performance.timeOrigin + performance.now();

function record(result: unknown, at: number, index: number): void {
  received++;
  perSocket[index]!++;
  const sent = (result as { bench_sent_ms?: unknown } | null)?.bench_sent_ms;
  if (typeof sent !== "number") return;
  const bucket = Math.max(0, Math.round((at - sent) * 10));
  histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1);
}

function open(url: string, subscription: Record<string, unknown>, index: number): Promise<Socket> {
  perSocket[index] = 0;
  return new Promise((resolve, reject) => {
    const socket = io(url, { path: "/stream/socket.io", transports: ["websocket"], forceNew: true, reconnection: false });
    socket.on("atlas_result", (payload: unknown) => {
      const at = now();
      if (Array.isArray(payload)) for (const r of payload) record(r, at, index);
      else record(payload, at, index);
    });
    for (const event of FORWARDED) socket.on(event, (payload: unknown) => send({ type: "event", event, payload, received }));
    socket.once("atlas_subscribed", () => resolve(socket));
    socket.once("atlas_error", (e: unknown) => reject(new Error(`atlas_error: ${JSON.stringify(e)}`)));
    socket.once("connect_error", (e: Error) => reject(e));
    socket.once("connect", () => socket.emit("atlas_subscribe", subscription));
    socket.on("disconnect", () => disconnected++);
  });
}

async function connect(cmd: ConnectCommand): Promise<void> {
  // In waves: a thousand simultaneous handshakes overflow the listen backlog on a small box.
  for (let i = 0; i < cmd.subscriptions.length; i += CONNECT_WAVE) {
    sockets.push(...(await Promise.all(cmd.subscriptions.slice(i, i + CONNECT_WAVE).map((s, k) => open(cmd.url, s, sockets.length + k)))));
  }
  setInterval(() => send({ type: "progress", received, disconnected }), PROGRESS_MS).unref();
  send({ type: "ready" });
}

process.on("message", (cmd: FleetCommand) => {
  if (cmd.type === "connect") connect(cmd).catch((e: Error) => send({ type: "error", message: e.message }));
  else if (cmd.type === "reset") histogram = new Map();
  else if (cmd.type === "report") send({ type: "report", received, disconnected, latency: [...histogram], perSocket });
  else if (cmd.type === "close") {
    for (const s of sockets) s.close();
    process.exit(0);
  }
});
