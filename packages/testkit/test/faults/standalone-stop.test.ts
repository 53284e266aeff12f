import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { createTestDatabase, type TestDatabase } from "../../src/index.js";
import { AppProcess, CollectingSubscriber, FAULTS_ADMIN_TOKEN, ResultSender, freePort, sleep } from "../../src/faults/index.js";
import { registerProbe } from "../../src/index.js";
import pg from "pg";

// The whole platform (`npm start`'s process) stopped with SIGTERM or SIGINT under load, with a
// download open, exits 0 within 10 s, with no error-level log line, nothing acknowledged lost, and
// no process of its tree left behind.
const MSM = 9081;
const started = Date.now();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("faults_standalone");
}, 60_000);

afterAll(async () => {
  await db?.drop();
  console.log(`standalone-stop: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

/** Every process below `pid`, from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function stopUnderLoad(signal: "SIGTERM" | "SIGINT") {
  const [ingestPort, portalPort] = [await freePort(), await freePort()];
  const app = await AppProcess.start(
    "standalone",
    {
      DATABASE_URL: db.url,
      REDIS_URL: "",
      PROBESTREAM_DEMO: "1",
      SIM_PROBES: "10",
      SIM_RATE: "100",
      INGEST_PORT: String(ingestPort),
      PORTAL_PORT: String(portalPort),
      INGEST_ADMIN_TOKEN: FAULTS_ADMIN_TOKEN,
    },
    { readyTimeoutMs: 60_000 },
  );
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  const probe = await registerProbe(ingestUrl, FAULTS_ADMIN_TOKEN);
  const subscriber = new CollectingSubscriber("socket.io", MSM);
  await subscriber.connect(app.url);
  const sender = new ResultSender({ ingestUrls: () => [ingestUrl], probe, msmId: MSM, batchSize: 20, intervalMs: 20 });
  sender.start();
  await sleep(4_000);
  // An open download too: a stop must not wait on it.
  const download = await fetch(`${app.url}/api/v2/measurements/${MSM}/results/`).catch(() => undefined);
  const tree = descendants(app.pid);
  const t0 = Date.now();
  app.proc.kill(signal);
  const exit = await Promise.race([app.exited, sleep(20_000).then(() => undefined)]);
  const ms = Date.now() - t0;
  await sender.stop();
  subscriber.close();
  await download?.body?.cancel().catch(() => {});
  await sleep(1_000);
  const leftBehind = tree.filter(alive);
  for (const pid of [app.pid, ...leftBehind]) if (alive(pid)) process.kill(pid, "SIGKILL");
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client.query<{ key: string }>(
    "SELECT prb_id || ':' || extract(epoch FROM ts)::bigint AS key FROM results WHERE msm_id = $1",
    [MSM],
  );
  await client.end();
  const stored = new Set(rows.map((r) => r.key));
  const lost = [...sender.acknowledged].filter((k) => !stored.has(k));
  const errors = app.logsAtLeast(50).map((l) => l.text.slice(0, 300));
  console.log(
    `${signal}: exit ${JSON.stringify(exit)} after ${ms} ms; tree of ${tree.length} processes, left behind ${leftBehind.length}; ` +
      `acknowledged ${sender.acknowledged.size}, lost ${lost.length}; error-level lines ${errors.length}\n${errors.join("\n")}`,
  );
  return { exit, ms, leftBehind, lost, errors };
}

describe("fault: the whole platform stopped under load", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal}: exits 0 within 10 s, logs no error, loses nothing acknowledged, leaves no process behind`, async () => {
      const r = await stopUnderLoad(signal);
      expect(r.exit).toEqual({ code: 0, signal: null });
      expect(r.ms).toBeLessThan(10_000);
      expect(r.errors).toEqual([]);
      expect(r.lost).toEqual([]);
      expect(r.leftBehind).toEqual([]);
    }, 120_000);
  }
});
