/**
 * Replay throughput: results/s a history replay delivers at `speed: 0` (as fast as possible) from a
 * measurement of one million stored results, to one socket.io client (in its own process), once
 * with one `atlas_result` per result and once with `buffering: true` (arrays). It counts results
 * until `atlas_replay_finished` and checks the count against the rows.
 * Baseline, same run: the bare read of the same rows, in the same order, through a pg-query-stream cursor.
 *
 * The table is filled in one INSERT ... SELECT generate_series (realistic ping JSON, 1,000 probes,
 * one measurement, four results a second), straight into the writer's schema.
 *
 *   npx tsx bench/replay-throughput.ts [results=1000000]
 */
import pg from "pg";
import QueryStream from "pg-query-stream";
import { startPlatform } from "@probestream/standalone";
import { createTestDatabase } from "@probestream/testkit";
import { ClientFleets, rate, secondsSince } from "./stream-harness.js";

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const MSM = 5_000_001;
const PROBES = 1000;
const PER_SECOND = 4;
const REPLAY_TIMEOUT_MS = 150_000;

// A modern-firmware ping result per row, its RTTs varying with probe and row.
const FILL_SQL = `
INSERT INTO results (msm_id, prb_id, ts, type, digest, body)
SELECT $1, prb, to_timestamp(ts), 'ping', decode(md5(body), 'hex'), body::json
FROM (
  SELECT prb, ts, format(
    '{"fw":5020,"mver":"2.6.2","lts":17,"af":4,"type":"ping","prb_id":%s,"msm_id":%s,"timestamp":%s,'
    '"dst_addr":"193.0.14.129","dst_name":"k.root-servers.net","src_addr":"192.168.1.20","from":"198.51.100.%s",'
    '"proto":"ICMP","ttl":55,"size":48,"step":240,"sent":3,"rcvd":3,"dup":0,"group_id":%s,"msm_name":"Ping",'
    '"min":%s,"avg":%s,"max":%s,"result":[{"rtt":%s},{"rtt":%s},{"rtt":%s}]}',
    prb, $1::int, ts, prb % 250, $1::int, r1, round((r1 + r2 + r3) / 3, 3), r3, r1, r2, r3) AS body
  FROM (
    SELECT prb, ts, base + 0.271 AS r1, base + 0.502 + (i % 89) / 100.0 AS r2, base + 1.118 + (i % 97) / 100.0 AS r3
    FROM (
      SELECT i, ${PROBES} + i % ${PROBES} AS prb, $2::bigint + i / ${PER_SECOND} AS ts, (10 + i % 40)::numeric AS base
      FROM generate_series(0, $3::bigint - 1) AS i
    ) g
  ) r
) b`;

/** Fills the measurement; returns its first and last result timestamps (Unix seconds). */
async function fill(databaseUrl: string): Promise<{ first: number; last: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const span = Math.ceil(TOTAL / PER_SECOND);
    const first = Math.floor(Date.now() / 1000) - span - 3600;
    const last = first + span - 1;
    await client.query("SELECT ensure_results_partitions((to_timestamp($1) AT TIME ZONE 'UTC')::date, $2)", [first, Math.ceil(span / 86_400) + 2]);
    await client.query("INSERT INTO measurements (id, type, description, target, af, interval) VALUES ($1, 'ping', 'replay bench', 'k.root-servers.net', 4, 240)", [MSM]);
    await client.query(FILL_SQL, [MSM, first, TOTAL]);
    await client.query("UPDATE measurements SET result_count = $2, last_result_at = to_timestamp($3) WHERE id = $1", [MSM, TOTAL, last]);
    await client.query("VACUUM ANALYZE results");
    return { first, last };
  } finally {
    await client.end();
  }
}

/** The bare cursor read: the same rows, in replay order, as text. */
async function readWithCursor(databaseUrl: string, first: number, last: number): Promise<{ rows: number; seconds: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const t = process.hrtime.bigint();
    const stream = client.query(
      new QueryStream(
        "SELECT id, body::text AS body FROM results WHERE msm_id = $1 AND ts >= to_timestamp($2) AND ts <= to_timestamp($3) ORDER BY ts, id",
        [MSM, first, last],
        { batchSize: 1000 },
      ),
    );
    let rows = 0;
    for await (const _row of stream) rows++;
    return { rows, seconds: secondsSince(t) };
  } finally {
    await client.end();
  }
}

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
  const { first, last } = await fill(db.url);
  console.log(`filled ${TOTAL} ping results of measurement ${MSM} (${PROBES} probes, ${first}..${last}) in ${secondsSince(t).toFixed(1)} s`);

  const bare = await readWithCursor(db.url, first, last);
  const bareRate = bare.rows / bare.seconds;
  console.log(`  baseline pg-query-stream cursor read    ${rate(bareRate)} results/s (${bare.rows} rows in ${bare.seconds.toFixed(2)} s)`);

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
