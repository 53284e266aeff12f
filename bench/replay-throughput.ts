/**
 * Replay throughput: results/s a history replay delivers at `speed: 0` (as fast as possible) from a
 * measurement of one million stored results, to one socket.io client (in its own process), once
 * with one `atlas_result` per result and once with `buffering: true` (arrays). It counts results
 * until `atlas_replay_finished` and checks the count against the rows.
 * Baseline, same run: the bare read of the same rows, in the same order, through a pg-cursor (1,000 rows a read).
 *
 * The table is filled by ping-history.ts (realistic ping JSON, 1,000 probes, one measurement, four
 * results a second), straight into the writer's schema.
 *
 *   npx tsx bench/replay-throughput.ts [results=1000000]
 */
import { startPlatform } from "@probestream/standalone";
import { createTestDatabase } from "@probestream/testkit";
import { fillPingHistory, readWithCursor } from "./ping-history.js";
import { ClientFleets, rate, secondsSince } from "./stream-harness.js";

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const MSM = 5_000_001;
const REPLAY_TIMEOUT_MS = 150_000;

/** One client subscribes to the replay; counts results until atlas_replay_finished. */
async function replay(gatewayUrl: string, first: number, last: number, buffering: boolean) {
  const fleets = new ClientFleets(1);
  try {
    const finished = fleets.nextEvent(REPLAY_TIMEOUT_MS);
    const t = process.hrtime.bigint();
    await fleets.connect(gatewayUrl, [{ stream_type: "result", msm: MSM, startTime: first, endTime: last, speed: 0, buffering }]);
    const end = await finished;
    const seconds = secondsSince(t);
    if (end.event !== "atlas_replay_finished") throw new Error(`expected atlas_replay_finished, got ${end.event}`);
    return { received: end.received, seconds, announced: (end.payload as { count?: unknown } | null)?.count };
  } finally {
    await fleets.close();
  }
}

const db = await createTestDatabase("bench_replay");
try {
  const t = process.hrtime.bigint();
  const history = await fillPingHistory(db.url, MSM, TOTAL);
  const { first, last } = history;
  console.log(`filled ${TOTAL} ping results of measurement ${MSM} (${history.probes} probes, ${first}..${last}) in ${secondsSince(t).toFixed(1)} s`);

  const bare = await readWithCursor(db.url, history);
  const bareRate = bare.rows / bare.seconds;
  console.log(`  baseline pg-cursor read, 1,000 a read    ${rate(bareRate)} results/s (${bare.rows} rows in ${bare.seconds.toFixed(2)} s)`);

  const platform = await startPlatform({ databaseUrl: db.url, gatewayPort: 0, ingestPort: 0 });
  try {
    for (const buffering of [false, true]) {
      const r = await replay(platform.gatewayUrl, first, last, buffering);
      const replayRate = r.received / r.seconds;
      const checks = [`${r.received} in ${r.seconds.toFixed(2)} s`, `atlas_replay_finished count ${String(r.announced)}`];
      if (r.received !== bare.rows) checks.push(`EXPECTED ${bare.rows}`);
      const label = `probestream replay speed 0${buffering ? ", buffering" : ""}`;
      console.log(`  ${label.padEnd(38)} ${rate(replayRate)} results/s (${checks.join(", ")})`);
      console.log(`    ratio replay / bare cursor read: ${(replayRate / bareRate).toFixed(2)}`);
    }
  } finally {
    await platform.close();
  }
} finally {
  await db.drop();
}
