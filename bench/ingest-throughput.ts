/**
 * Ingest throughput: results/s through the whole probe-facing write path (HTTP, parse, validate,
 * commit with dedup, acknowledgement, then the relay's publish) against the bare storage ceiling measured in the same run: psql's
 * COPY of the same rows into a plain jsonb table (the baseline of shared/reference/limits.md).
 * Ingest runs in a process of its own, as deployed (and as psql runs apart from the database); this
 * process only sends, as the probes would.
 *
 *   npx tsx bench/ingest-throughput.ts [results=200000] [concurrency=8] [batch=500]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { newestFinalPosition, relayPosition } from "@probestream/db";
import { createTestDatabase, registerProbe, type TestProbe } from "@probestream/testkit";
import { AppProcess } from "../packages/testkit/src/faults/index.js";

const TOTAL = Number(process.argv[2] ?? 200_000);
const CONCURRENCY = Number(process.argv[3] ?? 8);
const BATCH = Number(process.argv[4] ?? 500);
const PROBES = 200;
const ADMIN = "bench";

function pingResult(prb: number, msm: number, ts: number) {
  const rtts = [10 + (prb % 40) + Math.random() * 5, 10 + (prb % 40) + Math.random() * 5, 10 + (prb % 40) + Math.random() * 5];
  return {
    fw: 5020, mver: "2.6.2", lts: 17, af: 4, type: "ping", prb_id: prb, msm_id: msm, timestamp: ts,
    dst_addr: "193.0.14.129", dst_name: "k.root-servers.net", src_addr: "192.168.1.20", from: `198.51.100.${prb % 250}`,
    proto: "ICMP", ttl: 55, size: 48, step: 240, sent: 3, rcvd: 3, dup: 0, group_id: msm, msm_name: "Ping",
    min: Math.min(...rtts), avg: rtts.reduce((a, b) => a + b) / 3, max: Math.max(...rtts),
    result: rtts.map((rtt) => ({ rtt: Math.round(rtt * 1000) / 1000 })),
  };
}

const db = await createTestDatabase("bench_ingest");
const dbUrl = new URL(db.url);
try {
  // Build the workload once: per probe, batches of its own results over 50 measurements.
  const now = Math.floor(Date.now() / 1000);
  const perProbe = Math.ceil(TOTAL / PROBES);
  const batches: { prb: number; body: string }[] = [];
  const rows: string[] = [];
  for (let p = 0; p < PROBES; p++) {
    const prb = 1000 + p;
    for (let i = 0; i < perProbe; i += BATCH) {
      const items = [];
      for (let j = i; j < Math.min(i + BATCH, perProbe); j++) {
        const r = pingResult(prb, 2_000_000 + (j % 50), now - perProbe + j);
        items.push(r);
        rows.push(`${r.msm_id}\t${r.prb_id}\t${new Date(r.timestamp * 1000).toISOString()}\t${JSON.stringify(r).replace(/\\/g, "\\\\")}`);
      }
      batches.push({ prb, body: JSON.stringify(items) });
    }
  }
  const count = rows.length;
  const bytes = batches.reduce((n, b) => n + b.body.length, 0);
  console.log(`workload: ${count} ping results (${Math.round(bytes / count)} B each), ${PROBES} probes, batches of ${BATCH}, ${CONCURRENCY} concurrent posts`);

  // Baseline: the bare COPY, same rows, same machine, same moment.
  const dir = mkdtempSync(join(tmpdir(), "bench-ingest-"));
  writeFileSync(join(dir, "rows.tsv"), rows.join("\n") + "\n");
  const psql = (sql: string) =>
    execFileSync("psql", ["-q", "-h", dbUrl.hostname, "-p", dbUrl.port || "5432", "-U", dbUrl.username || "postgres", "-d", dbUrl.pathname.slice(1), "-c", sql]);
  psql("CREATE TABLE baseline (id bigserial primary key, msm_id int, prb_id int, ts timestamptz, result jsonb); CREATE INDEX ON baseline (msm_id, ts); CREATE INDEX ON baseline (prb_id, ts)");
  let t = process.hrtime.bigint();
  psql(`\\copy baseline (msm_id, prb_id, ts, result) from '${join(dir, "rows.tsv")}'`);
  const copySeconds = Number(process.hrtime.bigint() - t) / 1e9;
  const copyRate = count / copySeconds;

  const ingest = await AppProcess.start("ingest", { DATABASE_URL: db.url, INGEST_ADMIN_TOKEN: ADMIN, LOG_LEVEL: "warn" });
  const probes = new Map<number, TestProbe>();
  for (let p = 0; p < PROBES; p++) probes.set(1000 + p, await registerProbe(ingest.url, ADMIN, 1000 + p));

  let next = 0;
  let stored = 0;
  t = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < batches.length) {
        const b = batches[next++]!;
        const res = await fetch(`${ingest.url}/probe/results`, {
          method: "POST",
          headers: { authorization: probes.get(b.prb)!.authorization, "content-type": "application/json" },
          body: b.body,
        });
        const body = (await res.json()) as { stored: number };
        if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(body)}`);
        stored += body.stored;
      }
    }),
  );
  const ingestSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  const ingestRate = stored / ingestSeconds;
  // Acknowledged is committed; published is when the relay has put the last of it on the bus.
  const pool = new pg.Pool({ connectionString: db.url });
  const newest = await newestFinalPosition(pool);
  while ((await relayPosition(pool, "results")) !== newest) await new Promise((r) => setTimeout(r, 5));
  const publishedSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  await pool.end();
  await ingest.terminate();

  console.log(`baseline  psql \\copy into jsonb:          ${copyRate.toFixed(0).padStart(8)} results/s (${copySeconds.toFixed(2)} s)`);
  console.log(`probestream ingest (HTTP → commit → ack): ${ingestRate.toFixed(0).padStart(8)} results/s (${ingestSeconds.toFixed(2)} s, ${stored} stored)`);
  console.log(`  ... and published by the relay:          ${(stored / publishedSeconds).toFixed(0).padStart(8)} results/s (${publishedSeconds.toFixed(2)} s)`);
  console.log(`ratio ingest / bare COPY: ${(ingestRate / copyRate).toFixed(2)}   (RIPE Atlas reports ~2,500 results/s: ${(ingestRate / 2500).toFixed(1)}x)`);
} finally {
  await db.drop();
}
