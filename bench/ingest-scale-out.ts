/**
 * Ingest scale-out: results/s stored (acknowledged, so committed) by 1, 2 and 4 ingest processes on
 * one database, each process its own `node apps/ingest/dist/main.js`, the same workload posted
 * round-robin across them by one sender with a fixed number of posts in flight. Each count of
 * processes gets a fresh database, so no run inherits a bigger table. The figure is the ratio of N
 * processes to one, measured in the same run (goal: at least 1.5x for 2, until Postgres is the limit).
 *
 *   npx tsx bench/ingest-scale-out.ts [results=200000] [concurrency=16] [batch=500] [processes=1,2,4]
 */
import { availableParallelism } from "node:os";
import { createTestDatabase, registerProbe, type TestProbe } from "@probestream/testkit";
import { AppProcess } from "../packages/testkit/src/faults/index.js";
import { boxCpu, cpuSeconds, postgresCpuSince } from "./cpu-usage.js";
import { pingResult, secondsSince } from "./stream-harness.js";

const TOTAL = Number(process.argv[2] ?? 200_000);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const BATCH = Number(process.argv[4] ?? 500);
const COUNTS = (process.argv[5] ?? "1,2,4").split(",").map(Number);
const PROBES = 200;
const ADMIN = "bench";

/** Per probe, batches of its own results over 50 measurements, built once for every run. */
function workload(): { prb: number; body: string }[] {
  const now = Math.floor(Date.now() / 1000);
  const perProbe = Math.ceil(TOTAL / PROBES);
  const batches: { prb: number; body: string }[] = [];
  for (let p = 0; p < PROBES; p++) {
    const prb = 1000 + p;
    for (let i = 0; i < perProbe; i += BATCH) {
      const items = [];
      for (let j = i; j < Math.min(i + BATCH, perProbe); j++) items.push(pingResult(prb, 2_000_000 + (j % 50), now - perProbe + j));
      batches.push({ prb, body: JSON.stringify(items) });
    }
  }
  return batches;
}

/** Where the CPU went during a run: the ingest processes, PostgreSQL, this sender, the whole box. */
interface CpuUse {
  ingest: number;
  postgres: number;
  sender: number;
  boxBusy: number;
  boxTotal: number;
}

async function run(
  processes: number,
  batches: { prb: number; body: string }[],
): Promise<{ stored: number; seconds: number; refused: number; cpu: CpuUse }> {
  const db = await createTestDatabase(`bench_scale_${processes}`);
  const ingests: AppProcess[] = [];
  try {
    for (let i = 0; i < processes; i++) {
      ingests.push(await AppProcess.start("ingest", { DATABASE_URL: db.url, INGEST_ADMIN_TOKEN: ADMIN, LOG_LEVEL: "warn", INGEST_CONTROLLER_NAME: `ctr-${i}` }));
    }
    const probes = new Map<number, TestProbe>();
    for (let p = 0; p < PROBES; p++) probes.set(1000 + p, await registerProbe(ingests[0]!.url, ADMIN, 1000 + p));
    let next = 0;
    let stored = 0;
    let refused = 0;
    const postgresCpu = postgresCpuSince();
    const before = { ingest: ingests.map((a) => cpuSeconds(a.pid)), sender: process.cpuUsage(), box: boxCpu() };
    const t = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, lane) => {
        while (next < batches.length) {
          const index = next++;
          const b = batches[index]!;
          const url = ingests[(index + lane) % ingests.length]!.url;
          for (;;) {
            const res = await fetch(`${url}/probe/results`, {
              method: "POST",
              headers: { authorization: probes.get(b.prb)!.authorization, "content-type": "application/json" },
              body: b.body,
            });
            const body = (await res.json()) as { stored: number };
            // Overload is answered with 503 + Retry-After: sent again, as probes do, and counted.
            if (res.status === 503) {
              refused++;
              await new Promise((r) => setTimeout(r, 100));
              continue;
            }
            if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(body)}`);
            stored += body.stored;
            break;
          }
        }
      }),
    );
    const seconds = secondsSince(t);
    const sender = process.cpuUsage(before.sender);
    const box = boxCpu();
    const cpu: CpuUse = {
      ingest: ingests.reduce((sum, a, i) => sum + cpuSeconds(a.pid) - before.ingest[i]!, 0),
      postgres: postgresCpu(),
      sender: (sender.user + sender.system) / 1e6,
      boxBusy: box.busy - before.box.busy,
      boxTotal: box.total - before.box.total,
    };
    return { stored, seconds, refused, cpu };
  } finally {
    for (const app of ingests) await app.terminate();
    await db.drop();
  }
}

const batches = workload();
const results = Math.ceil(TOTAL / PROBES) * PROBES;
console.log(`workload: ${results} ping results in ${batches.length} batches (at most ${BATCH} each), ${PROBES} probes, ${CONCURRENCY} posts in flight, round-robin over the processes`);
let first = 0;
for (const processes of COUNTS) {
  const r = await run(processes, batches);
  const perSecond = r.stored / r.seconds;
  if (processes === COUNTS[0]) first = perSecond;
  const ratio = processes === COUNTS[0] ? "" : `   ratio to ${COUNTS[0]}: ${(perSecond / first).toFixed(2)}`;
  console.log(
    `  ${String(processes).padStart(2)} ingest process${processes === 1 ? " " : "es"}  ${perSecond.toFixed(0).padStart(8)} results/s ` +
      `(${r.stored} stored in ${r.seconds.toFixed(2)} s${r.refused ? `, ${r.refused} posts refused 503 and sent again` : ""})${ratio}`,
  );
  const cores = (cpu: number) => (cpu / r.seconds).toFixed(2);
  console.log(
    `     CPU in cores: ingest ${cores(r.cpu.ingest)}, PostgreSQL ${cores(r.cpu.postgres)}, sender ${cores(r.cpu.sender)}; ` +
      `box busy ${((100 * r.cpu.boxBusy) / r.cpu.boxTotal).toFixed(0)} % of ${availableParallelism()} cores`,
  );
}
