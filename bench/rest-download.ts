/**
 * REST download: results/s of `GET /api/v2/measurements/<id>/results/` (JSON array, streamed) for a
 * measurement of one million stored results, read to the end by one client, with the gateway in
 * its own process so that its RSS can be sampled the whole time (goal: flat, under 150 MB).
 * Baseline, same run: the bare read of the same rows through a pg-cursor (1,000 rows a read).
 *
 *   npx tsx bench/rest-download.ts [results=1000000]
 */
import { createTestDatabase } from "@probestream/testkit";
import { AppProcess, rssMb } from "../packages/testkit/src/faults/index.js";
import { fillPingHistory, readWithCursor } from "./ping-history.js";
import { rate, secondsSince } from "./stream-harness.js";

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const MSM = 5_000_002;
const SAMPLE_MS = 100;
const RSS_GOAL_MB = 150;

/** Reads the whole download, counting results by their `"msm_id":` key (one per result). */
async function download(url: string): Promise<{ results: number; bytes: number; seconds: number }> {
  const t = process.hrtime.bigint();
  const res = await fetch(url, { headers: { "accept-encoding": "identity" } });
  if (res.status !== 200 || !res.body) throw new Error(`download answered ${res.status}: ${await res.text()}`);
  const needle = '"msm_id":';
  const decoder = new TextDecoder();
  let results = 0;
  let bytes = 0;
  let tail = "";
  for await (const chunk of res.body) {
    bytes += chunk.byteLength;
    const text = tail + decoder.decode(chunk, { stream: true });
    for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) results++;
    // A key cut by the chunk boundary is counted in the next chunk, and a counted one not twice.
    const keep = text.slice(-(needle.length - 1));
    tail = keep.includes('"') ? keep : "";
  }
  return { results, bytes, seconds: secondsSince(t) };
}

const db = await createTestDatabase("bench_download");
try {
  const t = process.hrtime.bigint();
  const history = await fillPingHistory(db.url, MSM, TOTAL);
  console.log(`filled ${TOTAL} ping results of measurement ${MSM} in ${secondsSince(t).toFixed(1)} s`);

  const bare = await readWithCursor(db.url, history);
  const bareRate = bare.rows / bare.seconds;
  console.log(`  baseline pg-cursor read, 1,000 a read  ${rate(bareRate)} results/s (${bare.rows} rows in ${bare.seconds.toFixed(2)} s)`);

  const gateway = await AppProcess.start("gateway", { DATABASE_URL: db.url, LOG_LEVEL: "warn" });
  try {
    const before = rssMb(gateway.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gateway.pid))), SAMPLE_MS);
    const url = `${gateway.url}/api/v2/measurements/${MSM}/results/?start=${history.first}&stop=${history.last}&format=json`;
    const got = await download(url).finally(() => clearInterval(sampler));
    const after = rssMb(gateway.pid);
    const downloadRate = got.results / got.seconds;
    const check = got.results === bare.rows ? "" : `, EXPECTED ${bare.rows}`;
    console.log(
      `  probestream REST download (JSON)      ${rate(downloadRate)} results/s (${got.results} results, ` +
        `${(got.bytes / 1e6).toFixed(0)} MB in ${got.seconds.toFixed(2)} s${check})`,
    );
    console.log(`    ratio download / bare cursor read: ${(downloadRate / bareRate).toFixed(2)}`);
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
