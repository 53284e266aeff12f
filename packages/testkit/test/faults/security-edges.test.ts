import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import WebSocket from "ws";
import { createApiKey, messageText, pingResult, postResults, type TestProbe } from "../../src/index.js";
import { AppProcess, Deployment, sleep } from "../../src/faults/index.js";

// What strangers, logs, browsers and brute force can and cannot do: probes writing into others' private
// measurements, keys in request logs, CORS on keyed answers, oversized messages, default binding, key guessing.
const PRIVATE_MSM = 9061;
let d: Deployment;
let owner: { key: string; userId: number };
let probe: TestProbe;
const started = Date.now();

beforeAll(async () => {
  d = await Deployment.start({ ingests: 1, gateways: 1 });
  owner = await createApiKey(d.cluster.url, "alice", ["measurements:create", "results:read_private"]);
  await d.cluster.query("INSERT INTO measurements (id, type, is_public, owner_id) VALUES ($1, 'ping', false, $2)", [PRIVATE_MSM, owner.userId]);
  probe = await d.probe();
}, 120_000);

afterAll(async () => {
  await d?.stop();
  console.log(`security-edges: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

/** The addresses a process listens on, from `ss`. */
function listeningAddresses(pid: number): string[] {
  const out = execFileSync("ss", ["-Hltnp"], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => l.trim().split(/\s+/)[3]!);
}

describe("security: another user's private measurement (item 7)", () => {
  it("a probe not assigned to it cannot store results in it", async () => {
    const { status, body } = await postResults(d.ingests[0]!.url, probe, [pingResult(probe.prbId, PRIVATE_MSM, Math.floor(Date.now() / 1000) - 60)]);
    const stored = await d.storedCount(PRIVATE_MSM);
    console.log(`POST into a stranger's private measurement: ${status} ${JSON.stringify(body)}; stored ${stored}`);
    expect(stored).toBe(0);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(JSON.stringify(body)).toMatch(/msm_id/);
  });
});

describe("security: API keys in request logs (item 8)", () => {
  it("a ?key= value never appears in the gateway's output", async () => {
    const gateway = d.gateways[0]!;
    const secretPaths = [
      `/api/v2/measurements/?key=${owner.key}`,
      `/api/v2/measurements/${PRIVATE_MSM}/?key=${owner.key}`,
      `/api/v2/measurements/${PRIVATE_MSM}/results/?key=${owner.key}`,
      `/api/v2/measurements/?key=not-a-key-${owner.key.slice(0, 8)}-x`,
    ];
    for (const path of secretPaths) await (await fetch(`${gateway.url}${path}`)).arrayBuffer();
    const stream = await fetch(`${gateway.url}/stream/?streamType=result&msm=${PRIVATE_MSM}&key=${owner.key}`);
    await sleep(300);
    await stream.body?.cancel();
    await sleep(500);
    const leaks = gateway.logs.filter((l) => l.text.includes(owner.key) || l.text.includes(`not-a-key-${owner.key.slice(0, 8)}`));
    console.log(`gateway log lines: ${gateway.logs.length}, with a key: ${leaks.length}`);
    expect(leaks.map((l) => l.text.slice(0, 300))).toEqual([]);
  });
});

describe("security: edges of the HTTP surface (item 10)", () => {
  it("keyed answers do not carry Access-Control-Allow-Origin: *", async () => {
    const gateway = d.gateways[0]!;
    const origin = { origin: "http://elsewhere.example" };
    const byQuery = await fetch(`${gateway.url}/api/v2/measurements/?key=${owner.key}`, { headers: origin });
    const byHeader = await fetch(`${gateway.url}/api/v2/measurements/${PRIVATE_MSM}/results/`, { headers: { ...origin, authorization: `Key ${owner.key}` } });
    const found = [byQuery, byHeader].map((r) => `${r.status} ${r.headers.get("access-control-allow-origin")}`);
    console.log(`keyed answers to a foreign origin: ${found.join(", ")}`);
    expect(byQuery.headers.get("access-control-allow-origin")).not.toBe("*");
    expect(byHeader.headers.get("access-control-allow-origin")).not.toBe("*");
  });

  it("a CORS preflight is answered, not 404", async () => {
    const res = await fetch(`${d.gateways[0]!.url}/api/v2/measurements/`, {
      method: "OPTIONS",
      headers: { origin: "http://elsewhere.example", "access-control-request-method": "GET" },
    });
    console.log(`preflight: ${res.status}`);
    expect(res.status).not.toBe(404);
    expect(res.status).toBeLessThan(400);
  });

  it("a WebSocket message over 64 KiB gets atlas_error and the connection stays usable", async () => {
    const ws = new WebSocket(`${d.gateways[0]!.url.replace(/^http/, "ws")}/stream/`);
    const frames: unknown[][] = [];
    let closed: number | undefined;
    ws.on("message", (data) => frames.push(JSON.parse(messageText(data)) as unknown[]));
    ws.on("close", (code) => (closed = code));
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    ws.send(JSON.stringify(["atlas_subscribe", { stream_type: "result", msm: 1, pad: "x".repeat(70 * 1024) }]));
    await sleep(500);
    if (closed === undefined) ws.send(JSON.stringify(["atlas_subscribe", { stream_type: "result", msm: 1 }]));
    await sleep(500);
    console.log(`after a 70 KiB message: close code ${closed}, frames ${JSON.stringify(frames.map((f) => f[0]))}`);
    ws.terminate();
    expect(closed).toBeUndefined();
    expect(frames[0]?.[0]).toBe("atlas_error");
    expect(frames.some((f) => f[0] === "atlas_subscribed")).toBe(true);
  });

  it("ingest and gateway listen on loopback unless configured otherwise; /metrics is not on the public port", async () => {
    const env = { ...d.env, INGEST_HOST: "", GATEWAY_HOST: "" };
    const apps = [await AppProcess.start("ingest", env), await AppProcess.start("gateway", env)];
    try {
      const bound = apps.map((a) => ({ app: a.name, addresses: listeningAddresses(a.pid) }));
      console.log(`default listening addresses: ${JSON.stringify(bound)}`);
      for (const b of bound) for (const address of b.addresses) expect(address).toMatch(/^(127\.0\.0\.1|\[::1\]):\d+$/);
      for (const app of apps) {
        const metrics = await fetch(`${app.url}/metrics`);
        console.log(`${app.name} /metrics without a token: ${metrics.status}`);
        expect(metrics.status).not.toBe(200);
      }
    } finally {
      for (const a of apps) await a.kill9();
    }
  });

  // Last: it exhausts this address's budget on the gateway.
  it("after a brute-force lockout, the valid key from that address still works", async () => {
    const gateway = d.gateways[0]!;
    const statuses: Record<number, number> = {};
    for (let i = 0; i < 1_300; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, j) => fetch(`${gateway.url}/api/v2/measurements/?key=guess-${i + j}`).then(async (r) => (await r.arrayBuffer(), r.status))),
      );
      for (const s of batch) statuses[s] = (statuses[s] ?? 0) + 1;
    }
    const valid = await fetch(`${gateway.url}/api/v2/measurements/?key=${owner.key}`);
    const guess = await fetch(`${gateway.url}/api/v2/measurements/?key=guess-again`);
    console.log(`1,300 guesses: ${JSON.stringify(statuses)}; then the valid key: ${valid.status}, another guess: ${guess.status}`);
    expect(statuses[429]).toBeGreaterThan(0);
    expect(guess.status).toBe(429);
    expect(valid.status).toBe(200);
  });
});
