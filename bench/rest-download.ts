/**
 * REST download: results/s of `GET /api/v2/measurements/<id>/results/` (JSON array, streamed) for a
 * measurement of one million stored results, read to the end by one client, with the gateway in
 * its own process so that its RSS can be sampled the whole time (goal: flat, under 150 MB).
 * Baseline, same run: the bare read of the same rows through a pg-cursor (1,000 rows a read).
 *
 *   npx tsx bench/rest-download.ts [results=1000000]
 */
import { spawn } from "node:child_process";
import pg from "pg";
import { SERVED_JSON_SQL } from "@probestream/db";
import { createTestDatabase } from "@probestream/testkit";
import { AppProcess, rssMb } from "../packages/testkit/src/faults/index.js";
import { childCpuSeconds, cpuSeconds, postgresCpuSince } from "./cpu-usage.js";
import { fillPingHistory, readWithCursor } from "./ping-history.js";
import { rate, secondsSince } from "./stream-harness.js";

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const MSM = 5_000_002;
const SAMPLE_MS = 100;
const RSS_GOAL_MB = 150;

/**
 * Reads the whole download with curl, as a user saving it would, and counts its bytes: the client
 * must cost the shared 2 cores next to nothing, so that the figure is the server's (measured here,
 * node's HTTP client took 1.2-1.7 CPU s of a 300,000-result download, over half the gateway's own,
 * curl 0.1 s). The byte count is checked against storage.
 */
function download(url: string): Promise<{ bytes: number; seconds: number; cpuSeconds: number }> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const curl = spawn("curl", ["--silent", "--show-error", "--fail", "--output", "/dev/null", "--write-out", "%{size_download}", url], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    curl.stdout.on("data", (d: Buffer) => (out += d.toString()));
    curl.stderr.on("data", (d: Buffer) => (err += d.toString()));
    curl.on("error", reject);
    curl.on("exit", (code) => {
      const seconds = secondsSince(t);
      if (code !== 0) return reject(new Error(`curl exited with ${code}: ${err.trim()}`));
      resolve({ bytes: Number(out), seconds, cpuSeconds: childCpuSeconds() });
    });
  });
}

/** The bytes of the JSON array the download must be: every served result, commas, brackets. */
async function expectedBytes(databaseUrl: string, msmId: number): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ bytes: string; n: string }>(
      `SELECT sum(octet_length(${SERVED_JSON_SQL})) AS bytes, count(*) AS n FROM results WHERE msm_id = $1`,
      [msmId],
    );
    return Number(rows[0]!.bytes) + Math.max(0, Number(rows[0]!.n) - 1) + 2;
  } finally {
    await client.end();
  }
}

const db = await createTestDatabase("bench_download");
try {
  const t = process.hrtime.bigint();
  const history = await fillPingHistory(db.url, MSM, TOTAL);
  console.log(`filled ${TOTAL} ping results of measurement ${MSM} in ${secondsSince(t).toFixed(1)} s`);

  const bare = await readWithCursor(db.url, history);
  const bareRate = bare.rows / bare.seconds;
  console.log(`  baseline pg-cursor read, 1,000 a read  ${rate(bareRate)} results/s (${bare.rows} rows in ${bare.seconds.toFixed(2)} s)`);

  const expected = await expectedBytes(db.url, MSM);
  const gateway = await AppProcess.start("gateway", { DATABASE_URL: db.url, LOG_LEVEL: "warn" });
  try {
    const before = rssMb(gateway.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gateway.pid))), SAMPLE_MS);
    const url = `${gateway.url}/api/v2/measurements/${MSM}/results/?start=${history.first}&stop=${history.last}&format=json`;
    const [gatewayCpu, clientCpu, postgresCpu] = [cpuSeconds(gateway.pid), childCpuSeconds(), postgresCpuSince()];
    const got = await download(url).finally(() => clearInterval(sampler));
    const after = rssMb(gateway.pid);
    const downloadRate = bare.rows / got.seconds;
    const check = got.bytes === expected ? "all bytes" : `${got.bytes} bytes, EXPECTED ${expected}`;
    console.log(
      `  probestream REST download (JSON)      ${rate(downloadRate)} results/s (${bare.rows} results, ` +
        `${(got.bytes / 1e6).toFixed(0)} MB in ${got.seconds.toFixed(2)} s, ${check})`,
    );
    console.log(`    ratio download / bare cursor read: ${(downloadRate / bareRate).toFixed(2)}`);
    console.log(
      `    CPU during the download: gateway ${(cpuSeconds(gateway.pid) - gatewayCpu).toFixed(2)} s, PostgreSQL ${postgresCpu().toFixed(2)} s, ` +
        `the client (curl, saving to /dev/null) ${(got.cpuSeconds - clientCpu).toFixed(2)} s`,
    );
    console.log(
      `    gateway RSS: ${before} MB before, ${peak} MB at most, ${after} MB after ` +
        `(goal: under ${RSS_GOAL_MB} MB: ${peak < RSS_GOAL_MB ? "met" : "NOT met"})`,
    );
  } finally {
    await gateway.terminate();
  }
} finally {
  await db.drop();
}
