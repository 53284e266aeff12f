/**
 * A stored history for the read-path benchmarks (replay, REST download): one ping measurement of
 * `total` results from 1,000 probes, four a second, filled by one INSERT ... SELECT generate_series
 * straight into the writer's schema, and the bare cursor read of those rows that is their baseline.
 */
import pg from "pg";
import Cursor from "pg-cursor";
import { secondsSince } from "./stream-harness.js";

const PROBES = 1000;
const PER_SECOND = 4;

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

export interface PingHistory {
  msmId: number;
  /** First and last result timestamps (Unix seconds). */
  first: number;
  last: number;
  probes: number;
}

/** Fills measurement `msmId` with `total` results ending an hour ago. */
export async function fillPingHistory(databaseUrl: string, msmId: number, total: number): Promise<PingHistory> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const span = Math.ceil(total / PER_SECOND);
    const first = Math.floor(Date.now() / 1000) - span - 3600;
    const last = first + span - 1;
    await client.query("SELECT ensure_results_partitions((to_timestamp($1) AT TIME ZONE 'UTC')::date, $2)", [first, Math.ceil(span / 86_400) + 2]);
    await client.query(
      "INSERT INTO measurements (id, type, description, target, af, interval) VALUES ($1, 'ping', 'read-path bench', 'k.root-servers.net', 4, 240)",
      [msmId],
    );
    await client.query(FILL_SQL, [msmId, first, total]);
    await client.query("UPDATE measurements SET result_count = $2, last_result_at = to_timestamp($3) WHERE id = $1", [msmId, total, last]);
    await client.query("VACUUM ANALYZE results");
    return { msmId, first, last, probes: PROBES };
  } finally {
    await client.end();
  }
}

/**
 * The bare cursor read: the same rows, in time order, as text, 1,000 rows a read (pg-cursor, as the
 * REST download reads them; the earlier baseline, pg-query-stream's row-per-chunk, was slower).
 */
export async function readWithCursor(databaseUrl: string, history: PingHistory): Promise<{ rows: number; seconds: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const t = process.hrtime.bigint();
    const cursor = client.query(
      new Cursor<{ body: string }>(
        "SELECT id, body::text AS body FROM results WHERE msm_id = $1 AND ts >= to_timestamp($2) AND ts <= to_timestamp($3) ORDER BY ts, id",
        [history.msmId, history.first, history.last],
      ),
    );
    let rows = 0;
    for (let batch = await cursor.read(1000); batch.length > 0; batch = await cursor.read(1000)) rows += batch.length;
    await cursor.close();
    return { rows, seconds: secondsSince(t) };
  } finally {
    await client.end();
  }
}
