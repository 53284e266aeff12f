import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createTestDatabase, type TestDatabase } from "@probestream/testkit";

const MSM = 4242;
const COUNT = 200_000;
const T0 = Date.UTC(2024, 5, 1) / 1000;

let db: TestDatabase;
let platform: Platform;

beforeAll(async () => {
  db = await createTestDatabase("api_download");
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query("SELECT ensure_results_partitions(to_timestamp($1)::date, 4)", [T0]);
    await client.query("INSERT INTO measurements (id, type, description, status) VALUES ($1, 'ping', 'bulk', 2)", [MSM]);
    // ~450 bytes a result, as a modern ping result is: the whole download is about 90 MB.
    await client.query(
      `INSERT INTO results (msm_id, prb_id, ts, type, digest, body)
       SELECT $1::int, 1000 + i % 500, to_timestamp($2::bigint + i), 'ping', decode(md5(i::text), 'hex'),
              format('{"fw":5020,"mver":"2.6.2","lts":12,"af":4,"type":"ping","prb_id":%s,"msm_id":%s,"timestamp":%s,'
                     '"dst_addr":"193.0.14.129","dst_name":"k.root-servers.net","src_addr":"10.0.0.2","from":"192.0.2.%s",'
                     '"proto":"ICMP","ttl":55,"size":48,"step":240,"sent":3,"rcvd":3,"dup":0,"min":5.123,"avg":5.456,'
                     '"max":5.789,"result":[{"rtt":5.123},{"rtt":5.456},{"rtt":5.789}],"group_id":%s,"bundle":%s}',
                     1000 + i % 500, $1, $2 + i, i % 250, $1, $2 + i - i % 240)::json
       FROM generate_series(0, $3::int - 1) AS i`,
      [MSM, T0, COUNT],
    );
  } finally {
    await client.end();
  }
  platform = await startPlatform({ databaseUrl: db.url, gatewayPort: 0, ingestPort: 0 });
}, 300_000);

afterAll(async () => {
  await platform?.close();
  await db?.drop();
});

describe("results download", () => {
  it("streams 200,000 results with flat server memory", async () => {
    const samples: number[] = [];
    const baseline = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => samples.push(process.memoryUsage().heapUsed), 20);
    const res = await fetch(`${platform.gatewayUrl}/api/v2/measurements/${MSM}/results/?format=txt`, {
      headers: { "accept-encoding": "identity" },
    });
    expect(res.status).toBe(200);
    let bytes = 0;
    let lines = 0;
    let firstLine = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      for (const byte of chunk) if (byte === 10) lines++;
      if (firstLine === "") firstLine = new TextDecoder().decode(chunk.subarray(0, chunk.indexOf(10)));
    }
    clearInterval(sampler);
    expect(lines).toBe(COUNT);
    expect(bytes).toBeGreaterThan(80 * 1024 * 1024);
    expect(JSON.parse(firstLine)).toMatchObject({ msm_id: MSM, timestamp: T0, stored_timestamp: expect.any(Number) });
    expect(samples.length).toBeGreaterThan(10);
    // What stays live (the heap's floor between collections, late in the download) is flat; its peak
    // also holds garbage not collected yet, which on a busy box can be tens of MB: bounded below the
    // 84 MB that holding the download would take.
    const lateFloor = Math.min(...samples.slice(-Math.ceil(samples.length / 4))) - baseline;
    expect(lateFloor).toBeLessThan(30 * 1024 * 1024);
    expect(Math.max(...samples) - baseline).toBeLessThan(80 * 1024 * 1024);
  }, 180_000);
});
