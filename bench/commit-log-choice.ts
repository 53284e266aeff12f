/**
 * The measurement behind publishing from the committed log (ARCHITECTURE.md): how fast the relay's
 * way of reading it (final rows below the transaction horizon, in (tx, id) pages) reads results
 * that concurrent writers committed, against logical decoding of the same commits (`pgoutput`
 * through a replication slot, read with pg_logical_slot_get_binary_changes), in the same run, on a
 * throwaway cluster started with wal_level = logical. Also times the writers under each wal_level.
 *
 *   npx tsx bench/commit-log-choice.ts [results=100000] [writers=4] [batch=500]
 */
import pg from "pg";
import { createPool, readFinalAfter, LOG_START, ResultWriter, type ResultToStore } from "@probestream/db";
import { PrivateCluster } from "../packages/testkit/src/faults/postgres-cluster.js";

const TOTAL = Number(process.argv[2] ?? 100_000);
const WRITERS = Number(process.argv[3] ?? 4);
const BATCH = Number(process.argv[4] ?? 500);
const NOW = Math.floor(Date.now() / 1000);

const seconds = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;

function result(i: number): ResultToStore {
  const body = { fw: 5020, type: "ping", prb_id: 1 + (i % 500), msm_id: 1001, timestamp: NOW - (i % 3600), avg: 12.5, min: 11, max: 14, sent: 3, rcvd: 3, seq: i };
  return { msmId: 1001, prbId: body.prb_id, timestamp: body.timestamp, type: "ping", body: JSON.stringify(body) };
}

/** Writes TOTAL results from WRITERS concurrent writers; returns results/s. */
async function write(url: string, offset: number): Promise<number> {
  const pool = createPool(url, WRITERS + 2);
  const writers = Array.from({ length: WRITERS }, () => new ResultWriter(pool));
  let next = 0;
  const t = process.hrtime.bigint();
  await Promise.all(
    writers.map(async (w) => {
      while (next < TOTAL) {
        const from = next;
        next += BATCH;
        await w.write(Array.from({ length: Math.min(BATCH, TOTAL - from) }, (_, k) => result(offset + from + k)));
      }
    }),
  );
  const rate = TOTAL / seconds(t);
  await pool.end();
  return rate;
}

const cluster = await PrivateCluster.create();
try {
  const replicaWrite = await write(cluster.url, 0);
  await cluster.query("TRUNCATE results");

  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await admin.query("ALTER SYSTEM SET wal_level = logical");
  await admin.end();
  await cluster.stop();
  await cluster.start();
  await cluster.query("CREATE PUBLICATION bench FOR TABLE results WITH (publish_via_partition_root = true)");
  await cluster.query("SELECT pg_create_logical_replication_slot('bench', 'pgoutput')");
  const logicalWrite = await write(cluster.url, TOTAL);

  const pool = createPool(cluster.url, 2);
  let t = process.hrtime.bigint();
  let read = 0;
  for (let position = LOG_START; ; ) {
    const page = await readFinalAfter(pool, position, 5000);
    if (page.length === 0) break;
    read += page.length;
    position = page[page.length - 1]!.position;
  }
  const relayRate = read / seconds(t);
  await pool.end();

  t = process.hrtime.bigint();
  const [decoded] = await cluster.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_logical_slot_get_binary_changes('bench', NULL, NULL,
       'proto_version', '1', 'publication_names', 'bench')`,
  );
  const decodeRate = TOTAL / seconds(t);
  const n = decoded?.n ?? "0";

  console.log(`workload: ${TOTAL} ping results, ${WRITERS} concurrent writers, batches of ${BATCH}`);
  console.log(`writers, wal_level = replica:               ${replicaWrite.toFixed(0).padStart(8)} results/s`);
  console.log(`writers, wal_level = logical (slot held):   ${logicalWrite.toFixed(0).padStart(8)} results/s   ratio ${(logicalWrite / replicaWrite).toFixed(2)}`);
  console.log(`relay: final rows read in (tx, id) pages:   ${relayRate.toFixed(0).padStart(8)} results/s (${read} rows)`);
  console.log(`logical decoding (pgoutput, ${n} messages): ${decodeRate.toFixed(0).padStart(8)} results/s   relay / decoding ${(relayRate / decodeRate).toFixed(2)}`);
} finally {
  await cluster.destroy();
}
