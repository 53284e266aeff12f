import { spawn, type ChildProcess } from "node:child_process";
import { freePort, waitForPort } from "./net.js";

/**
 * A private `redis-server` on a free loopback port, without persistence, that a test can stop and
 * start again on the same port (a Redis outage or restart as the apps see it).
 */
export class PrivateRedis {
  private proc: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  async start(): Promise<void> {
    if (this.proc) return;
    const proc = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"],
      { stdio: "ignore" },
    );
    this.proc = proc;
    proc.once("exit", () => {
      if (this.proc === proc) this.proc = undefined;
    });
    await waitForPort(this.port);
  }

  /** Stops the server at once (SIGKILL: connected clients see their sockets drop). */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGKILL");
    await exited;
  }
}
