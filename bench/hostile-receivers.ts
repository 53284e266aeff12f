/**
 * Webhook receivers that misbehave, in a process of their own (forked by `forkHostileReceivers`), as
 * the services users point webhooks at run elsewhere: `slow` answer 200 after `slowMs`, `gone` are
 * ports where nothing listens any more (connections refused). Each reads nothing of a body but drops it.
 *
 * Parent → child: {type:"close"}        Child → parent: {type:"ready", slow: string[], gone: string[]}
 */
import { fork } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

interface Ready {
  type: "ready";
  slow: string[];
  gone: string[];
}

async function listen(answer: (res: import("node:http").ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

if (process.send !== undefined && process.argv[2] === "--child") {
  const [slowCount, goneCount, slowMs] = process.argv.slice(3).map(Number) as [number, number, number];
  const slow = await Promise.all(Array.from({ length: slowCount }, () => listen((res) => setTimeout(() => res.end(), slowMs))));
  const gone = await Promise.all(Array.from({ length: goneCount }, () => listen((res) => res.end())));
  for (const { server } of gone) {
    server.closeAllConnections();
    server.close();
  }
  process.on("message", () => process.exit(0));
  process.send({ type: "ready", slow: slow.map((s) => s.url), gone: gone.map((g) => g.url) } satisfies Ready);
}

/** `slow` receivers answering after `slowMs` and `gone` refusing ones, in a child process; `close` ends it. */
export async function forkHostileReceivers(slow: number, gone: number, slowMs: number): Promise<{ slow: string[]; gone: string[]; close(): void }> {
  const child = fork(fileURLToPath(import.meta.url), ["--child", String(slow), String(gone), String(slowMs)], {
    execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once("message", (m: Ready) => resolve(m));
    child.once("exit", (code) => reject(new Error(`hostile receivers exited with ${String(code)}`)));
  });
  return {
    slow: ready.slow,
    gone: ready.gone,
    close: () => {
      if (child.connected) child.send({ type: "close" });
    },
  };
}
