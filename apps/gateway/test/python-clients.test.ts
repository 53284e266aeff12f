import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, connect, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createTestDatabase, pingResult, postResults, registerProbe, type Json, type TestDatabase, type TestProbe } from "@probestream/testkit";

/**
 * The Python clients RIPE Atlas users run, as Debian ships them (python3-socketio,
 * python3-websocket, python3-ripe-atlas-cousteau), against a running platform.
 */

const ADMIN = "test-admin-token";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** Debian's interpreter, where the Debian packages are. */
const PYTHON = "/usr/bin/python3";
const KEEPALIVE_MS = 500;

let db: TestDatabase;
let platform: Platform;
let probe: TestProbe;

beforeAll(async () => {
  db = await createTestDatabase("python_clients");
  platform = await startPlatform({
    databaseUrl: db.url, redisUrl: REDIS_URL, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN,
    // Liveness checks far more often than the clients' read timeout: they must still not reset it.
    streamLimits: { keepAliveMs: KEEPALIVE_MS },
  });
  probe = await registerProbe(platform.ingestUrl, ADMIN, 61);
});

afterAll(async () => {
  await platform?.close();
  await db?.drop();
});

async function post(results: unknown[]): Promise<void> {
  const { status, body } = await postResults(platform.ingestUrl, probe, results);
  if (status !== 200) throw new Error(`${status} ${JSON.stringify(body)}`);
}

/** A Python script from ./python, its stdout read as one JSON object per line. */
function python(script: string, args: (string | number)[]) {
  const child = spawn(PYTHON, [fileURLToPath(new URL(`./python/${script}`, import.meta.url)), ...args.map(String)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Json[] = [];
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
    let nl: number;
    while ((nl = out.indexOf("\n")) >= 0) {
      lines.push(JSON.parse(out.slice(0, nl)) as Json);
      out = out.slice(nl + 1);
    }
  });
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
  return {
    lines,
    of: (event: string) => lines.filter((l) => l.event === event),
    /** Resolves with the exit code, rejects with stderr when it is not 0. */
    finished: async () => {
      const code = await exited;
      if (code !== 0) throw new Error(`${script} exited with ${code}:\n${err}`);
    },
    stderr: () => err,
    kill: () => child.kill(),
  };
}

const withStored = (r: Json) => ({ ...r, stored_timestamp: expect.any(Number) });

describe("python-socketio 5 (Engine.IO 4)", () => {
  it("a one-argument atlas_result handler receives every result", async () => {
    const MSM = 9901;
    const client = python("socketio_client.py", [platform.gatewayUrl, MSM, 3]);
    await expect.poll(() => client.of("subscribed").length, { timeout: 15_000 }).toBe(1);
    expect(client.of("subscribed")[0]!.params).toEqual({ stream_type: "result", msm: MSM });
    const sent = [0, 1, 2].map((i) => pingResult(probe.prbId, MSM, 1_760_100_000 + i));
    await post(sent);
    await client.finished();
    expect(client.of("result").map((l) => l.result)).toEqual(sent.map(withStored));
    expect(client.stderr()).not.toMatch(/TypeError|Traceback/);
  });
});

/** The timer armed on the gateway's side of the TCP connection from this client port, from /proc (2: keepalive). */
function timerOf(gatewayPort: number, clientPort: number): number | undefined {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
  const rows = readFileSync("/proc/net/tcp", "utf8").trim().split("\n").slice(1).map((row) => row.trim().split(/\s+/));
  // Columns: sl, local, remote, st, tx:rx, tr:when, ... ; "tr" 2 is the keepalive timer.
  const row = rows.find((r) => r[1]!.endsWith(`:${hex(gatewayPort)}`) && r[2]!.endsWith(`:${hex(clientPort)}`));
  return row && Number.parseInt(row[5]!.split(":")[0]!, 16);
}

describe("python3-websocket on the plain WebSocket", () => {
  it("unpacks every frame as [event, payload], and a read timeout fires on a quiet stream", async () => {
    const MSM = 9902;
    const client = python("websocket_client.py", [platform.gatewayUrl, MSM, 2, 9903, 2]);
    await expect.poll(() => client.of("atlas_subscribed").length, { timeout: 15_000 }).toBe(1);
    const sent = [pingResult(probe.prbId, MSM, 1_760_200_000), pingResult(probe.prbId, MSM, 1_760_200_001)];
    await post(sent);
    await expect.poll(() => client.of("quiet").length, { timeout: 15_000 }).toBe(1);
    const port = Number(new URL(platform.gatewayUrl).port);
    // The gateway watches the quiet connection with TCP keepalive, which the client never sees (once
    // the client has acknowledged atlas_subscribed: until then the retransmission timer runs).
    await expect.poll(() => timerOf(port, Number(client.of("quiet")[0]!.local_port)), { timeout: 1000 }).toBe(2);
    await client.finished();
    expect(client.lines.slice(0, 5)).toEqual([
      { event: "atlas_subscribed", payload: { streamType: "result", msm: MSM } },
      { event: "atlas_result", payload: withStored(sent[0]!) },
      { event: "atlas_result", payload: withStored(sent[1]!) },
      { event: "atlas_error", payload: { message: "msm: must be a positive integer", parameter: "msm" } },
      { event: "atlas_unsubscribed", payload: { streamType: "result", msm: MSM } },
    ]);
    expect(client.of("quiet")[0]!.subscribed).toBe("atlas_subscribed");
    // 2 s asked for, with keepalive every 0.5 s: the timeout fires after 2 s, not later.
    expect(client.of("unexpected")).toEqual([]);
    const [timeout] = client.of("timeout");
    expect(timeout!.after).toBeGreaterThanOrEqual(1.9);
    expect(timeout!.after).toBeLessThan(4);
  });
});

describe("the plain HTTP stream, read with Python's urllib", () => {
  it("echoes the subscription typed, and a read timeout fires on a quiet stream", async () => {
    const client = python("http_stream_client.py", [platform.gatewayUrl, 9906, 2]);
    await expect.poll(() => client.of("quiet").length, { timeout: 15_000 }).toBe(1);
    const port = Number(new URL(platform.gatewayUrl).port);
    expect(timerOf(port, Number(client.of("quiet")[0]!.local_port))).toBe(2);
    await client.finished();
    expect(client.of("quiet")[0]).toMatchObject({ subscribed: "atlas_subscribed", payload: { streamType: "result", msm: 9906 } });
    expect(client.of("unexpected")).toEqual([]);
    const [timeout] = client.of("timeout");
    expect(timeout!.after).toBeGreaterThanOrEqual(1.9);
    expect(timeout!.after).toBeLessThan(4);
  });
});

/** Listens on `host`:80 and forwards every connection to `port` on 127.0.0.1 (AtlasStream always connects to port 80). */
async function forwardPort80(host: string, port: number): Promise<Server> {
  const server = createServer((inbound) => {
    const outbound = connect(port, "127.0.0.1");
    inbound.pipe(outbound).pipe(inbound);
    inbound.on("error", () => outbound.destroy());
    outbound.on("error", () => inbound.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(80, host, () => resolve());
  });
  return server;
}

describe("cousteau 1.4 AtlasStream (socketIO-client 0.6, Engine.IO 3)", () => {
  // An address of its own in 127/8, so that port 80 there is free.
  const HOST = `127.0.${Math.floor(Math.random() * 200) + 20}.${Math.floor(Math.random() * 200) + 20}`;
  let forwarder: Server;

  beforeAll(async () => {
    forwarder = await forwardPort80(HOST, Number(new URL(platform.gatewayUrl).port));
  });

  afterAll(async () => {
    await new Promise((resolve) => forwarder?.close(resolve));
  });

  it.each([
    ["with buffering (its default)", true, 9904],
    ["without buffering", false, 9905],
  ])("receives live results %s, over the upgraded websocket", async (_name, buffering, msm) => {
    const client = python("cousteau_stream.py", [HOST, msm, 3, String(buffering)]);
    await expect.poll(() => client.of("subscribed").length, { timeout: 15_000 }).toBe(1);
    expect(client.of("subscribed")[0]).toEqual({
      event: "subscribed",
      params: { stream_type: "result", msm, buffering },
      transport: "websocket",
    });
    const sent = [0, 1, 2].map((i) => pingResult(probe.prbId, msm, 1_760_300_000 + i));
    await post(sent);
    await client.finished();
    expect(client.of("result").map((l) => l.result)).toEqual(sent.map(withStored));
    expect(client.of("error")).toEqual([]);
  });
});
