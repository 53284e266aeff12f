/**
 * An HTTP poller in its own process (forked by `forkPoller`), as a monitoring system polls from
 * outside: its timings are the server's answers plus one loopback hop, not the event-loop lag of a
 * benchmark process that also generates the load and parses the streams.
 *
 * Parent → poller: {type:"poll", checks, everyMs, forMs} | {type:"close"}
 * Poller → parent: {type:"ready"} | {type:"done", times: number[][]} (ms, one list per check) | {type:"error", message}
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

/** One URL polled; the answer must be 200 and, when `probes` is set, name that many probes. */
export interface PollCheck {
  url: string;
  probes?: number;
}

interface PollCommand {
  type: "poll";
  checks: PollCheck[];
  /** Each round makes every check once, one after the other; a round starts every `everyMs`. */
  everyMs: number;
  /** Rounds go on this long; with 0, `rounds` rounds back to back. */
  forMs: number;
  rounds?: number;
}

type PollerMessage = { type: "ready" } | { type: "done"; times: number[][] } | { type: "error"; message: string };

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(check: PollCheck): Promise<void> {
  const res = await fetch(check.url);
  if (res.status !== 200) throw new Error(`${check.url} answered ${res.status}`);
  if (check.probes === undefined) {
    await res.arrayBuffer();
    return;
  }
  const body = (await res.json()) as { probes: Record<string, unknown> };
  const n = Object.keys(body.probes).length;
  if (n !== check.probes) throw new Error(`${check.url} named ${n} probes, not ${check.probes}`);
}

async function poll(cmd: PollCommand): Promise<number[][]> {
  const times = cmd.checks.map(() => [] as number[]);
  const start = now();
  for (let round = 0; cmd.forMs > 0 ? now() - start < cmd.forMs : round < (cmd.rounds ?? 0); round++) {
    const next = now() + cmd.everyMs;
    for (const [i, check] of cmd.checks.entries()) {
      const t = now();
      await call(check);
      times[i]!.push(now() - t);
    }
    if (cmd.everyMs > 0) await sleep(next - now());
  }
  return times;
}

if (process.send !== undefined && process.argv[2] === "--child") {
  const send = (m: PollerMessage) => process.send!(m);
  process.on("message", (cmd: PollCommand | { type: "close" }) => {
    if (cmd.type === "close") process.exit(0);
    poll(cmd).then(
      (times) => send({ type: "done", times }),
      (err: unknown) => send({ type: "error", message: err instanceof Error ? err.message : String(err) }),
    );
  });
  send({ type: "ready" });
}

/** A poller process; `poll` resolves with each check's answer times (ms) once its rounds are over. */
export async function forkPoller(): Promise<{ poll(cmd: Omit<PollCommand, "type">): Promise<number[][]>; close(): void }> {
  const child = fork(fileURLToPath(import.meta.url), ["--child"], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`poller exited with ${String(code)}`)));
  });
  return {
    poll: (cmd) => new Promise((resolve, reject) => {
      child.once("message", (m: PollerMessage) => (m.type === "done" ? resolve(m.times) : reject(new Error(m.type === "error" ? m.message : "poller: unexpected message"))));
      child.send({ type: "poll", ...cmd });
    }),
    close: () => {
      if (child.connected) child.send({ type: "close" });
    },
  };
}
