/** CPU accounting for the benchmarks, from /proc: where a run's CPU went on the shared cores. */
import { readdirSync, readFileSync } from "node:fs";

/** Fields of /proc/<pid>/stat after the command name (state is [0]), or null once the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used; 0 once it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  const fields = pid === undefined ? null : statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / 100 : 0;
}

/** CPU seconds used by this process's waited-for children so far (curl, psql). */
export function childCpuSeconds(): number {
  const fields = statFields(process.pid)!;
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** The PostgreSQL server's processes (postmaster, backends, WAL writer...). */
function postgresPids(): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, "utf8").trim() === "postgres";
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** CPU seconds of the postmasters' reaped children (backends and workers that have exited). */
function reapedPostgresCpu(pids: number[]): number {
  const all = new Set(pids);
  return pids.reduce((sum, pid) => {
    const fields = statFields(pid);
    // A postmaster is a postgres process whose parent is not one.
    return fields && !all.has(Number(fields[1])) ? sum + (Number(fields[13]) + Number(fields[14])) / 100 : sum;
  }, 0);
}

/**
 * PostgreSQL's CPU seconds from now on: call the returned function at the end of the window. A
 * backend that exits during it moves its CPU to its postmaster's children's account, so a process
 * gone counts minus what it had, and the reaped account's growth adds what it used in all (parallel
 * workers born and gone within the window included).
 */
export function postgresCpuSince(): () => number {
  const pids = postgresPids();
  const before = new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
  const reapedBefore = reapedPostgresCpu(pids);
  return () => {
    const now = postgresPids();
    const live = new Set(now);
    const running = now.reduce((sum, pid) => sum + cpuSeconds(pid) - (before.get(pid) ?? 0), 0);
    const gone = [...before].reduce((sum, [pid, cpu]) => (live.has(pid) ? sum : sum - cpu), 0);
    return running + gone + reapedPostgresCpu(now) - reapedBefore;
  };
}

/** The box's busy and total CPU seconds so far, from /proc/stat. */
export function boxCpu(): { busy: number; total: number } {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: (total - ticks[3]! - ticks[4]!) / 100, total: total / 100 };
}
