import { readdirSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

/**
 * Lowers this process's CPU priority to `nice` (0–19) for background work that must yield the CPU
 * to latency-bound processes on the same machine (a webhook worker beside the streams). On Linux a
 * nice value belongs to a thread, so every thread running now is lowered (the libuv pool and V8's
 * helpers start before `main`); threads started later inherit it. A thread that ended meanwhile is
 * passed over.
 */
export function lowerCpuPriority(nice: number): void {
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new Error(`a nice value is 0 to 19, got ${nice}`);
  if (nice === 0) return;
  let threads: number[];
  try {
    threads = readdirSync("/proc/self/task").map(Number);
  } catch {
    threads = [0];
  }
  for (const tid of threads) {
    try {
      // Never raised: a process started lower (a niced supervisor's child) stays there.
      if (getPriority(tid) >= nice) continue;
      setPriority(tid, nice);
    } catch (err) {
      // os.setPriority's system errors carry the errno code in `info`.
      if ((err as { info?: { code?: string } }).info?.code !== "ESRCH") throw err;
    }
  }
}
