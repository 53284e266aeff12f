import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, rssMb, waitForPort } from "./net.js";

/** The repository's root, from this file (src/faults or dist/faults of packages/testkit). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

export type AppName = "ingest" | "gateway" | "standalone" | "webhooks";

/** Where each app's main is: the webhook worker alone is the gateway package's second main. */
const MAINS: Record<AppName, string[]> = {
  ingest: ["apps", "ingest", "dist", "main.js"],
  gateway: ["apps", "gateway", "dist", "main.js"],
  standalone: ["apps", "standalone", "dist", "main.js"],
  webhooks: ["apps", "gateway", "dist", "webhooks-main.js"],
};

/**
 * Node flags each app is launched with, as in its package.json `start` and docker-compose.yml. The
 * gateway's young generation is capped at 4 MB semi-spaces: V8 grows it to 16 MB under a download's
 * allocation rate, the difference between 150 MB of RSS and 119 (bench/README.md, session 9).
 * `APP_NODE_FLAGS_<APP>` (e.g. APP_NODE_FLAGS_GATEWAY="") replaces them, for a benchmark's A/B.
 */
const NODE_FLAGS: Record<AppName, string[]> = {
  ingest: [],
  gateway: ["--max-semi-space-size=4"],
  standalone: [],
  webhooks: [],
};

function nodeFlags(name: AppName): string[] {
  const override = process.env[`APP_NODE_FLAGS_${name.toUpperCase()}`];
  return override === undefined ? NODE_FLAGS[name] : override.split(/\s+/).filter(Boolean);
}

/** One line of an app's output: its pino JSON when it is one. */
export interface LogLine {
  text: string;
  json?: { level?: number; msg?: string; [k: string]: unknown };
}

/**
 * An app run as a separate `node apps/<name>/dist/main.js` process (MAINS), as an operator runs it, with
 * its output kept line by line. `url` is its HTTP base on loopback.
 */
export class AppProcess {
  readonly logs: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(
    readonly name: AppName,
    readonly proc: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((done) =>
      proc.once("exit", (code, signal) => {
        this.exit = { code, signal };
        done(this.exit);
      }),
    );
    for (const stream of [proc.stdout, proc.stderr]) {
      let pending = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const text of lines) this.record(text);
      });
      stream?.on("end", () => pending && this.record(pending));
    }
  }

  private record(text: string): void {
    let json: LogLine["json"];
    if (text.startsWith("{")) {
      try {
        json = JSON.parse(text) as LogLine["json"];
      } catch {
        json = undefined;
      }
    }
    this.logs.push({ text, json });
    if (process.env.FAULTS_ECHO_LOGS) process.stderr.write(`[${this.name}:${this.port}] ${text}\n`);
  }

  /**
   * Starts the app on a free loopback port (or `port`) with `env` added to this process's
   * environment, and resolves once it accepts connections.
   */
  static async start(name: AppName, env: Record<string, string>, opts: { port?: number; readyTimeoutMs?: number } = {}): Promise<AppProcess> {
    const port = opts.port ?? (await freePort());
    const portVar = name === "ingest" ? "INGEST_PORT" : name === "webhooks" ? "WEBHOOKS_PORT" : "GATEWAY_PORT";
    const hostVar = name === "ingest" ? "INGEST_HOST" : name === "gateway" ? "GATEWAY_HOST" : name === "webhooks" ? "WEBHOOKS_HOST" : "HOST";
    // APP_CPU_PROF_DIR: each app writes a V8 CPU profile there when it exits (benchmarks' stage costs).
    const profile = process.env.APP_CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.APP_CPU_PROF_DIR}`] : [];
    const proc = spawn(process.execPath, [...profile, ...nodeFlags(name), join(repoRoot, ...MAINS[name])], {
      cwd: repoRoot,
      env: { ...process.env, [hostVar]: "127.0.0.1", [portVar]: String(port), LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const app = new AppProcess(name, proc, port);
    await Promise.race([
      waitForPort(port, opts.readyTimeoutMs ?? 30_000),
      app.exited.then((e) => {
        throw new Error(`${name} exited during start-up (${JSON.stringify(e)}):\n${app.tail()}`);
      }),
    ]);
    return app;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.proc.pid ?? 0;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  rssMb(): number {
    return rssMb(this.pid);
  }

  /** Log lines at pino level `level` or above (50: error, 60: fatal). */
  logsAtLeast(level: number): LogLine[] {
    return this.logs.filter((l) => (l.json?.level ?? 0) >= level);
  }

  tail(lines = 30): string {
    return this.logs.slice(-lines).map((l) => l.text).join("\n");
  }

  /** kill -9. */
  async kill9(): Promise<void> {
    if (!this.alive) return;
    this.proc.kill("SIGKILL");
    await this.exited;
  }

  /** SIGTERM, then the time the process took to exit (SIGKILL after `graceMs`). */
  async terminate(graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const started = Date.now();
    if (this.alive) this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.alive && this.proc.kill("SIGKILL"), graceMs);
    const e = await this.exited;
    clearTimeout(timer);
    return { ...e, ms: Date.now() - started };
  }
}
