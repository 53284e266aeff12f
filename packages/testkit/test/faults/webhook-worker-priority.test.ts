import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { getPriority } from "node:os";
import { createTestDatabase, type TestDatabase } from "../../src/index.js";
import { AppProcess } from "../../src/faults/index.js";

// A webhook worker of its own yields the CPU to the streams' processes on the same machine: every
// thread of it runs at WEBHOOK_WORKER_NICE (default 10), read here from the kernel. A worker started
// lower than that (this test run niced) stays where it started.

/** The nice value of each thread of a process (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceValues(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
  });
}

let db: TestDatabase;
const apps: AppProcess[] = [];

const startWorker = async (env: Record<string, string> = {}) => {
  const app = await AppProcess.start("webhooks", {
    DATABASE_URL: db.url, WEBHOOK_SECRET_KEY: "07".repeat(32), LOG_LEVEL: "warn", ...env,
  });
  apps.push(app);
  return app;
};

beforeAll(async () => {
  db = await createTestDatabase("webhook_worker_priority");
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.terminate()));
  await db?.drop();
});

describe.skipIf(process.platform !== "linux")("a webhook worker's CPU priority", () => {
  it("runs every thread at nice 10 by default, and at WEBHOOK_WORKER_NICE when set", async () => {
    const worker = await startWorker();
    const threads = threadNiceValues(worker.pid);
    expect(threads.length).toBeGreaterThan(4);
    const own = getPriority();
    expect(new Set(threads)).toEqual(new Set([Math.max(own, 10)]));

    const normal = await startWorker({ WEBHOOK_WORKER_NICE: "0" });
    expect(new Set(threadNiceValues(normal.pid))).toEqual(new Set([own]));
  });

  it("refuses a value that is no nice value", async () => {
    await expect(startWorker({ WEBHOOK_WORKER_NICE: "25" })).rejects.toThrow(/WEBHOOK_WORKER_NICE must be a nice value from 0 to 19/);
  });
});
