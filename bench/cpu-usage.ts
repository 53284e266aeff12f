/** CPU accounting for the benchmarks, from /proc: where a run's CPU went on the shared cores. */
import { readdirSync, readFileSync } from "node:fs";

/** CPU seconds (user + system) a process has used; 0 once it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds used by this process's waited-for children so far (curl, psql). */
export function childCpuSeconds(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
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

/** PostgreSQL's CPU seconds from now on: call the returned function at the end of the window. */
export function postgresCpuSince(): () => number {
  const pids = postgresPids();
  const before = new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
  // Backends that started during the window count from zero.
  return () => postgresPids().reduce((sum, pid) => sum + cpuSeconds(pid) - (before.get(pid) ?? 0), 0);
}

/** The box's busy and total CPU seconds so far, from /proc/stat. */
export function boxCpu(): { busy: number; total: number } {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: (total - ticks[3]! - ticks[4]!) / 100, total: total / 100 };
}
