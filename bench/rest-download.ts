/**
 * REST download: results/s of `GET /api/v2/measurements/<id>/results/` (JSON array, streamed) for a
 * measurement of one million stored results, read to the end by one client, with the gateway in
 * its own process so that its RSS can be sampled the whole time (goal: flat, under 150 MB).
 * Baseline, same run: the bare read of the same rows through a pg-cursor (1,000 rows a read).
 *
 *   npx tsx bench/rest-download.ts [results=1000000]
 */
import { readFileSync } from "node:fs";
import { get } from "node:http";
import pg from "pg";
import { SERVED_JSON_SQL } from "@probestream/db";
import { createTestDatabase } from "@probestream/testkit";
import { AppProcess, rssMb } from "../packages/testkit/src/faults/index.js";
import { fillPingHistory, readWithCursor } from "./ping-history.js";
import { rate, secondsSince } from "./stream-harness.js";

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const MSM = 5_000_002;
const SAMPLE_MS = 100;
const RSS_GOAL_MB = 150;

/**
 * Reads the whole download and counts its bytes: node's HTTP client, nothing parsed, so that the
 * figure is the server's (measured here, fetch with a TextDecoder scanning for results took as much
 * CPU as the gateway itself on this 2-core box). The byte count is checked against storage.
 */
function download(url: string): Promise<{ bytes: number; seconds: number }> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    get(url, { headers: { "accept-encoding": "identity" } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`download answered ${res.statusCode}`));
      let bytes = 0;
      res.on("data", (chunk: Buffer) => (bytes += chunk.byteLength));
      res.on("end", () => resolve({ bytes, seconds: secondsSince(t) }));
      res.on("error", reject);
    }).on("error", reject);
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

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
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
    const [gatewayCpu, clientCpu] = [cpuSeconds(gateway.pid), process.cpuUsage()];
    const got = await download(url).finally(() => clearInterval(sampler));
    const { user, system } = process.cpuUsage(clientCpu);
    const after = rssMb(gateway.pid);
    const downloadRate = bare.rows / got.seconds;
    const check = got.bytes === expected ? "all bytes" : `${got.bytes} bytes, EXPECTED ${expected}`;
    console.log(
      `  probestream REST download (JSON)      ${rate(downloadRate)} results/s (${bare.rows} results, ` +
        `${(got.bytes / 1e6).toFixed(0)} MB in ${got.seconds.toFixed(2)} s, ${check})`,
    );
    console.log(`    ratio download / bare cursor read: ${(downloadRate / bareRate).toFixed(2)}`);
    console.log(
      `    CPU during the download: gateway ${(cpuSeconds(gateway.pid) - gatewayCpu).toFixed(2)} s, ` +
        `this client (reading and counting) ${((user + system) / 1e6).toFixed(2)} s`,
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
