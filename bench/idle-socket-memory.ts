/**
 * Idle socket memory: RSS per connected, subscribed, idle socket.io client on one gateway process,
 * 10,000 sockets (each subscribed to one of 50 measurements, as the fan-out benchmarks). Goal: at
 * most 20 KB per socket. Baseline, same run, same client fleet: the stock socket.io server of
 * stream-harness.ts (rooms, no probestream code), also in a process of its own.
 * RSS is read from /proc before the clients connect and after they have idled; per socket is the
 * difference over the count.
 *
 *   npx tsx bench/idle-socket-memory.ts [sockets=10000]
 */
import { createTestDatabase } from "@probestream/testkit";
import { AppProcess, rssMb } from "../packages/testkit/src/faults/index.js";
import { ClientFleets, forkStockServer, sleep, type Json } from "./stream-harness.js";

const SOCKETS = Number(process.argv[2] ?? 10_000);
const MEASUREMENTS = 50;
const CLIENT_PROCESSES = 2;
const IDLE_MS = 5_000;
const GOAL_KB = 20;

const subscriptions: Json[] = Array.from({ length: SOCKETS }, (_, i) => ({ stream_type: "result", msm: 6_000_000 + (i % MEASUREMENTS) }));

/** RSS of `pid` (MB) after the clients connected and idled: the lowest of a few samples, past start-up garbage. */
async function settledRssMb(pid: number): Promise<number> {
  let lowest = Infinity;
  for (let i = 0; i < 5; i++) {
    await sleep(IDLE_MS / 5);
    lowest = Math.min(lowest, rssMb(pid));
  }
  return lowest;
}

async function measure(label: string, url: string, pid: number): Promise<number> {
  await sleep(1000);
  const before = await settledRssMb(pid);
  const fleets = new ClientFleets(CLIENT_PROCESSES);
  try {
    await fleets.connect(url, subscriptions);
    const after = await settledRssMb(pid);
    const perSocketKb = ((after - before) * 1024) / SOCKETS;
    console.log(`  ${label.padEnd(36)} RSS ${before} MB idle, ${after} MB with ${SOCKETS} sockets: ${perSocketKb.toFixed(1)} KB per socket`);
    return perSocketKb;
  } finally {
    await fleets.close();
  }
}

console.log(`${SOCKETS} idle socket.io clients, each subscribed to one of ${MEASUREMENTS} measurements`);
const stock = await forkStockServer();
let baseline: number;
try {
  baseline = await measure("baseline stock socket.io", stock.url, stock.child.pid!);
} finally {
  stock.child.kill();
}

const db = await createTestDatabase("bench_idle_sockets");
try {
  const gateway = await AppProcess.start("gateway", {
    DATABASE_URL: db.url,
    LOG_LEVEL: "warn",
    STREAM_SESSIONS_PER_ADDRESS: String(SOCKETS + 100),
  });
  try {
    const ours = await measure("probestream gateway", gateway.url, gateway.pid);
    console.log(`    ratio gateway / stock: ${(ours / baseline).toFixed(2)}; goal at most ${GOAL_KB} KB per socket: ${ours <= GOAL_KB ? "met" : "NOT met"}`);
  } finally {
    await gateway.terminate();
  }
} finally {
  await db.drop();
}
