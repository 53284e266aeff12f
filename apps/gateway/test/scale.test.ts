import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { startPlatform, type Platform } from "@probestream/standalone";
import {
  StreamClient, createTestDatabase, pingResult, postResults, registerProbe, type TestDatabase, type TestProbe,
} from "@probestream/testkit";

const ADMIN = "test-admin-token";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("scale");
});

afterAll(async () => {
  await db?.drop();
});

/**
 * An engine.io polling client that subscribes and then stops polling: the server must hold what
 * it sends to it, which is how a client that reads too slowly looks from the server.
 */
class StalledPollingClient {
  private sid = "";
  constructor(private readonly base: string) {}

  private url(): string {
    return `${this.base}/stream/socket.io/?EIO=4&transport=polling${this.sid ? `&sid=${this.sid}` : ""}`;
  }

  async open(subscription: object): Promise<void> {
    const handshake = await (await fetch(this.url())).text();
    this.sid = (JSON.parse(handshake.slice(1)) as { sid: string }).sid;
    await fetch(this.url(), { method: "POST", body: "40" });
    await this.poll();
    await fetch(this.url(), { method: "POST", body: `42${JSON.stringify(["atlas_subscribe", subscription])}` });
    const confirmed = await this.poll();
    if (!confirmed.some((p) => p.includes("atlas_subscribed"))) throw new Error(`not subscribed: ${confirmed.join(" | ")}`);
  }

  /** One long-poll: the packets the server held, or null when the server has dropped the session. */
  async poll(): Promise<string[]> {
    const res = await fetch(this.url());
    if (res.status !== 200) throw new Error(`session gone: ${res.status}`);
    return (await res.text()).split("\x1e");
  }
}

describe("slow clients", () => {
  let platform: Platform;
  let probe: TestProbe;

  beforeAll(async () => {
    platform = await startPlatform({
      databaseUrl: db.url, redisUrl: REDIS_URL, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN,
      streamLimits: { slowClientWarnBytes: 64 * 1024, slowClientDropBytes: 512 * 1024 },
    });
    probe = await registerProbe(platform.ingestUrl, ADMIN, 61);
  });

  afterAll(async () => {
    await platform?.close();
  });

  async function post(msm: number, count: number, t0: number): Promise<void> {
    for (let i = 0; i < count; i += 500) {
      const batch = Array.from({ length: Math.min(500, count - i) }, (_, j) => pingResult(probe.prbId, msm, t0 + i + j));
      const { status } = await postResults(platform.ingestUrl, probe, batch);
      expect(status).toBe(200);
    }
  }

  it("a client that falls behind is told so with an atlas_error", async () => {
    const slow = new StalledPollingClient(platform.gatewayUrl);
    await slow.open({ stream_type: "result", msm: 9601 });
    await post(9601, 300, 1_770_000_000);
    await new Promise((r) => setTimeout(r, 500));
    const held = await slow.poll();
    const warning = held.find((p) => p.includes("atlas_error"));
    expect(warning).toMatch(/"code":"slow_client"/);
    expect(warning).toMatch(/reads too slowly/);
  });

  it("past the limit it is cut off, while a fast client on the same gateway receives everything", async () => {
    const slow = new StalledPollingClient(platform.gatewayUrl);
    await slow.open({ stream_type: "result", msm: 9602 });
    const fast = new StreamClient(platform.gatewayUrl);
    await fast.subscribe({ stream_type: "result", msm: 9602 });
    const started = Date.now();
    await post(9602, 3000, 1_770_100_000);
    await expect.poll(() => fast.results.length, { timeout: 20_000 }).toBe(3000);
    const fastSeconds = (Date.now() - started) / 1000;
    await expect(slow.poll()).rejects.toThrow(/session gone/);
    const metrics = await (await fetch(`${platform.gatewayUrl}/metrics`)).text();
    expect(Number(/gateway_clients_dropped_total\{[^}]*\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    // The fast client got every result, in order, at ingest speed.
    const ts = fast.results.map((r) => Number(r.result.timestamp));
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(fastSeconds).toBeLessThan(20);
    fast.close();
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("several gateway and ingest processes behind Redis", () => {
  const children: ChildProcess[] = [];

  afterAll(async () => {
    await Promise.all(
      children.map((c) => new Promise<void>((resolve) => {
        if (c.exitCode !== null) return resolve();
        c.once("exit", () => resolve());
        c.kill("SIGTERM");
      })),
    );
  });

  async function run(app: "ingest" | "gateway"): Promise<string> {
    const port = await freePort();
    const main = fileURLToPath(new URL(`../../${app}/dist/main.js`, import.meta.url));
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        DATABASE_URL: db.url, REDIS_URL, INGEST_ADMIN_TOKEN: ADMIN, LOG_LEVEL: "warn",
        INGEST_PORT: String(port), GATEWAY_PORT: String(port), INGEST_HOST: "127.0.0.1", GATEWAY_HOST: "127.0.0.1",
        // Readiness is polled on /metrics.
        METRICS_OPEN: "1",
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    await expect.poll(async () => (await fetch(`${url}/metrics`).catch(() => null))?.status, { timeout: 20_000 }).toBe(200);
    return url;
  }

  it("every subscriber of every gateway gets every result exactly once", async () => {
    const [ingestA, ingestB, gatewayA, gatewayB] = await Promise.all([run("ingest"), run("ingest"), run("gateway"), run("gateway")]);
    const probeA = await registerProbe(ingestA, ADMIN, 71);
    const probeB = await registerProbe(ingestB, ADMIN, 72);
    const MSM = 9701;
    const clients = [gatewayA, gatewayA, gatewayA, gatewayB, gatewayB, gatewayB].map((url) => new StreamClient(url));
    await Promise.all(clients.map((c) => c.subscribe({ stream_type: "result", msm: MSM, sendPositions: true })));

    // Within the window of recent results that ingest accepts (INGEST_MAX_RESULT_AGE_DAYS).
    const t0 = Math.floor(Date.now() / 1000) - 3600;
    await Promise.all(
      [[ingestA, probeA], [ingestB, probeB]].map(async ([url, p]) => {
        for (let i = 0; i < 10; i++) {
          const batch = Array.from({ length: 20 }, (_, j) => pingResult((p as TestProbe).prbId, MSM, t0 + i * 20 + j));
          const { status } = await postResults(url as string, p as TestProbe, batch);
          expect(status).toBe(200);
        }
      }),
    );
    for (const c of clients) await expect.poll(() => c.results.length, { timeout: 10_000 }).toBe(400);
    await new Promise((r) => setTimeout(r, 300));
    for (const c of clients) {
      const keys = c.results.map((r) => `${r.result.prb_id}:${r.result.timestamp}`);
      expect(new Set(keys).size).toBe(400);
      const positions = c.results.map((r) => BigInt(r.position!));
      // One global order: every gateway delivers in commit order.
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
      c.close();
    }
  });
});
