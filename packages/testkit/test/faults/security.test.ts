import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, messageText, pingResult, postResults } from "../../src/index.js";
import WebSocket from "ws";
import { Deployment } from "../../src/faults/index.js";

// What a stranger gets from a private measurement, and from a bad key, over the apps as deployed.
const PRIVATE_MSM = 9071;
let d: Deployment;
let owner: { key: string; userId: number };
let stranger: { key: string; userId: number };
const started = Date.now();

beforeAll(async () => {
  d = await Deployment.start({ ingests: 1, gateways: 1 });
  owner = await createApiKey(d.cluster.url, "alice", ["results:read_private"]);
  stranger = await createApiKey(d.cluster.url, "mallory", ["results:read_private"]);
  await d.cluster.query("INSERT INTO measurements (id, type, is_public, owner_id) VALUES ($1, 'ping', false, $2)", [PRIVATE_MSM, owner.userId]);
  const probe = await d.probe();
  // The measurement runs on this probe: only its assigned probes may write into a user's measurement.
  await d.cluster.query("INSERT INTO measurement_probes (msm_id, prb_id) VALUES ($1, $2)", [PRIVATE_MSM, probe.prbId]);
  const { status } = await postResults(d.ingests[0]!.url, probe, [pingResult(probe.prbId, PRIVATE_MSM, Math.floor(Date.now() / 1000) - 60)]);
  expect(status).toBe(200);
}, 120_000);

afterAll(async () => {
  await d?.stop();
  console.log(`security: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe("security: private measurements and bad keys", () => {
  it("a private measurement's results go to its owner's key only", async () => {
    const url = `${d.gateways[0]!.url}/api/v2/measurements/${PRIVATE_MSM}/results/`;
    const [anonymous, foreign, own] = await Promise.all([
      fetch(url),
      fetch(url, { headers: { authorization: `Key ${stranger.key}` } }),
      fetch(url, { headers: { authorization: `Key ${owner.key}` } }),
    ]);
    expect([anonymous.status, foreign.status, own.status]).toEqual([403, 403, 200]);
    expect(((await own.json()) as unknown[]).length).toBe(1);
  });

  it("a private measurement does not stream without its owner's key", async () => {
    const ws = new WebSocket(`${d.gateways[0]!.url.replace(/^http/, "ws")}/stream/`);
    const first = new Promise<unknown[]>((resolve, reject) => {
      ws.once("message", (data) => resolve(JSON.parse(messageText(data)) as unknown[]));
      ws.once("error", reject);
    });
    ws.once("open", () => ws.send(JSON.stringify(["atlas_subscribe", { stream_type: "result", msm: PRIVATE_MSM }])));
    const [event] = await first;
    ws.terminate();
    expect(event).toBe("atlas_error");
  });

  it("the HTTP stream refuses a bad key with 403 and the API's error body, not 200", async () => {
    const res = await fetch(`${d.gateways[0]!.url}/stream/?streamType=result&msm=1&key=no-such-key`);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { status: 403 } });
  });
});
