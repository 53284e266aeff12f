/**
 * What the streaming benchmarks share: client fleets in child processes, the stock socket.io server
 * they are compared with, workload results, and the arithmetic of the figures.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { Server } from "socket.io";
import type { FleetCommand, FleetMessage, FleetReport } from "./stream-client-fleet.js";

export type Json = Record<string, unknown>;

const FLEET_SCRIPT = new URL("./stream-client-fleet.ts", import.meta.url);
/** FLEET_CPU_PROF_DIR: each client process writes a V8 CPU profile there (is the client the limit?). */
const FLEET_PROFILE = process.env.FLEET_CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.FLEET_CPU_PROF_DIR}`] : [];

/** One forked client process. */
class Fleet {
  received = 0;
  disconnected = 0;
  private readonly child: ChildProcess;
  private readonly waiting = new Map<string, (m: FleetMessage) => void>();
  private failure: ((e: Error) => void) | undefined;

  constructor() {
    this.child = fork(FLEET_SCRIPT, [], { execArgv: ["--import", "tsx", ...FLEET_PROFILE], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (m: FleetMessage) => {
      if (m.type === "progress") {
        this.received = m.received;
        this.disconnected = m.disconnected;
      } else if (m.type === "error") this.failure?.(new Error(`client fleet: ${m.message}`));
      const waiter = this.waiting.get(m.type);
      this.waiting.delete(m.type);
      waiter?.(m);
    });
  }

  private request<T extends FleetMessage>(cmd: FleetCommand, answer: T["type"], timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client fleet: no ${answer} within ${timeoutMs} ms`)), timeoutMs);
      this.failure = reject;
      this.waiting.set(answer, (m) => {
        clearTimeout(timer);
        resolve(m as T);
      });
      this.child.send(cmd);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  connect(url: string, subscriptions: Json[]): Promise<FleetMessage> {
    return this.request({ type: "connect", url, subscriptions }, "ready", 120_000);
  }

  /** The next forwarded event (atlas_replay_finished, atlas_backlog_sent). */
  nextEvent(timeoutMs: number): Promise<Extract<FleetMessage, { type: "event" }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client fleet: no event within ${timeoutMs} ms`)), timeoutMs);
      this.failure = reject;
      this.waiting.set("event", (m) => {
        clearTimeout(timer);
        resolve(m as Extract<FleetMessage, { type: "event" }>);
      });
    });
  }

  reset(): void {
    this.child.send({ type: "reset" });
  }

  report(): Promise<FleetReport> {
    return this.request<FleetReport>({ type: "report" }, "report", 30_000);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once("exit", () => resolve());
      this.child.send({ type: "close" });
      setTimeout(() => this.child.kill(), 5000).unref();
    });
  }
}

/** socket.io clients spread over a few child processes, one subscription each. */
export class ClientFleets {
  private readonly fleets: Fleet[];

  constructor(processes: number) {
    this.fleets = Array.from({ length: processes }, () => new Fleet());
  }

  /** Connects one socket per subscription (split across the processes) and waits until all are subscribed. */
  async connect(url: string, subscriptions: Json[]): Promise<void> {
    const n = this.fleets.length;
    await Promise.all(this.fleets.map((f, i) => f.connect(url, subscriptions.filter((_, j) => j % n === i))));
  }

  /** The client processes' ids (their memory is part of a benchmark's figures). */
  get pids(): number[] {
    return this.fleets.flatMap((f) => (f.pid === undefined ? [] : [f.pid]));
  }

  /** The next atlas_replay_finished or atlas_backlog_sent any socket receives (and the count received before it). */
  nextEvent(timeoutMs: number): Promise<{ event: string; payload: unknown; received: number }> {
    return Promise.race(this.fleets.map((f) => f.nextEvent(timeoutMs)));
  }

  /** Results received so far by every socket together, as last reported (every 25 ms). */
  get received(): number {
    return this.fleets.reduce((sum, f) => sum + f.received, 0);
  }

  get disconnected(): number {
    return this.fleets.reduce((sum, f) => sum + f.disconnected, 0);
  }

  /** Starts the latency histograms afresh (after warm-up). */
  resetLatency(): void {
    for (const f of this.fleets) f.reset();
  }

  /** The merged latency histogram, in milliseconds, and exact received counts (also per subscription, in `connect`'s order). */
  async report(): Promise<{ received: number; disconnected: number; latency: Histogram; perSubscription: number[] }> {
    const reports = await Promise.all(this.fleets.map((f) => f.report()));
    const n = reports.length;
    const latency = new Histogram();
    for (const r of reports) for (const [bucket, count] of r.latency) latency.add(bucket / 10, count);
    return {
      received: reports.reduce((s, r) => s + r.received, 0),
      disconnected: reports.reduce((s, r) => s + r.disconnected, 0),
      latency,
      // Subscription j went to process j % n, as its (j / n)th socket.
      perSubscription: reports.flatMap((r) => r.perSocket).map((_, j) => reports[j % n]!.perSocket[Math.floor(j / n)]!),
    };
  }

  /** Resolves once `total` results have arrived in all, or after `timeoutMs` (returns whether they did). */
  async waitFor(total: number, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.received < total) {
      if (Date.now() > until) return false;
      await sleep(20);
    }
    return true;
  }

  async close(): Promise<void> {
    await Promise.all(this.fleets.map((f) => f.close()));
  }
}

/** A histogram of values (ms) with 0.1 ms resolution. */
export class Histogram {
  private readonly counts = new Map<number, number>();
  count = 0;

  add(value: number, n = 1): void {
    this.counts.set(value, (this.counts.get(value) ?? 0) + n);
    this.count += n;
  }

  percentile(p: number): number {
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (const value of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(value)!;
      if (seen >= rank) return value;
    }
    return NaN;
  }
}

/** A Redis channel whose messages (one result's JSON each) a stock server emits to its measurement's room. */
export interface StockFeed {
  redisUrl: string;
  channel: string;
}

/**
 * The baseline server: socket.io as it comes, no probestream code. A subscription joins the room of
 * its measurement and is confirmed, so the same client fleet drives both servers. With a feed, it
 * is the plain Redis PUBLISH → SUBSCRIBE → `io.to(room).emit` path (ioredis), no storage.
 */
export async function startStockServer(feed?: StockFeed): Promise<{ io: Server; url: string; close(): Promise<void> }> {
  const http: HttpServer = createServer();
  const io = new Server(http, { path: "/stream/socket.io" });
  io.on("connection", (socket) => {
    socket.on("atlas_subscribe", (params: { msm?: number }) => {
      void socket.join(`msm:${params.msm}`);
      socket.emit("atlas_subscribed", params);
    });
  });
  const subscriber = feed ? new Redis(feed.redisUrl) : undefined;
  if (subscriber && feed) {
    subscriber.on("message", (_channel: string, message: string) => {
      const result = JSON.parse(message) as Json;
      io.to(`msm:${result.msm_id}`).emit("atlas_result", result);
    });
    await subscriber.subscribe(feed.channel);
  }
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    io,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: async () => {
      await subscriber?.quit();
      await new Promise<void>((resolve) => void io.close(() => resolve()));
    },
  };
}

/** A modern-firmware ping result, as a probe sends it (≈ 450 bytes of JSON). */
export function pingResult(prb: number, msm: number, ts: number): Json {
  const base = 10 + (prb % 40);
  const rtts = [base + 0.271, base + 1.118, base + 0.502];
  return {
    fw: 5020, mver: "2.6.2", lts: 17, af: 4, type: "ping", prb_id: prb, msm_id: msm, timestamp: ts,
    dst_addr: "193.0.14.129", dst_name: "k.root-servers.net", src_addr: "192.168.1.20", from: `198.51.100.${prb % 250}`,
    proto: "ICMP", ttl: 55, size: 48, step: 240, sent: 3, rcvd: 3, dup: 0, group_id: msm, msm_name: "Ping",
    min: Math.min(...rtts), avg: rtts.reduce((a, b) => a + b) / 3, max: Math.max(...rtts),
    result: rtts.map((rtt) => ({ rtt })),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds since `start` (from process.hrtime.bigint()). */
export const secondsSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

export const rate = (n: number) => n.toFixed(0).padStart(9);

/** startStockServer in a process of its own (stock-stream-server.ts); `stop` kills it. */
export function forkStockServer(feed?: StockFeed): Promise<{ child: ChildProcess; url: string; stop(): void }> {
  const env = feed ? { ...process.env, STOCK_FEED_REDIS_URL: feed.redisUrl, STOCK_FEED_CHANNEL: feed.channel } : process.env;
  const child = fork(fileURLToPath(new URL("./stock-stream-server.ts", import.meta.url)), [], { execArgv: ["--import", "tsx"], env });
  return new Promise((resolve, reject) => {
    child.once("message", (m: { url: string }) => resolve({ child, url: m.url, stop: () => void child.kill() }));
    child.once("exit", (code) => reject(new Error(`stock server exited (${code})`)));
  });
}
