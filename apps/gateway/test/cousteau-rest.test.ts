import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { fileURLToPath } from "node:url";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createApiKey, createTestDatabase, pingResult, postResults, type Json, type TestDatabase, type TestProbe } from "@probestream/testkit";

/**
 * RIPE Atlas Cousteau as Debian ships it (python3-ripe-atlas-cousteau 1.4.2) on the REST API v2,
 * over https as it always talks: through a TLS terminator on loopback with a throwaway certificate,
 * the gateway behind it configured with its public URL.
 */

const ADMIN = "test-admin-token";
/** Debian's interpreter, where the Debian packages are. */
const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./python-rest/cousteau_rest.py", import.meta.url));

const FLEET = [
  { prb_id: 9001, country_code: "NL", asn_v4: 3333, address_v4: "193.0.0.10", prefix_v4: "193.0.0.0/21", latitude: 52.37, longitude: 4.9 },
  { prb_id: 9002, country_code: "NL", asn_v4: 1103, address_v4: "145.100.1.1", prefix_v4: "145.100.0.0/15", latitude: 52.09, longitude: 5.12 },
  { prb_id: 9003, country_code: "DE", asn_v4: 3320, address_v4: "80.128.0.1", prefix_v4: "80.128.0.0/11", latitude: 50.1, longitude: 8.7 },
];

let db: TestDatabase;
let platform: Platform;
let tls: TlsServer;
let certDir: string;
/** host:port of the TLS terminator, as cousteau's `server` takes it. */
let server: string;
let key: string;
const probes: TestProbe[] = [];

/** A throwaway self-signed certificate for 127.0.0.1, made with Debian's openssl. */
function makeCertificate(dir: string): { key: Buffer; cert: Buffer; certPath: string } {
  const keyPath = join(dir, "key.pem");
  const certPath = join(dir, "cert.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "1",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore" });
  return { key: readFileSync(keyPath), cert: readFileSync(certPath), certPath };
}

/** Ends TLS on loopback and forwards the plain bytes to the gateway, as a proxy in front of it does. */
async function startTlsTerminator(key: Buffer, cert: Buffer, target: () => number): Promise<TlsServer> {
  const terminator = createTlsServer({ key, cert }, (socket) => {
    const upstream = connect(target(), "127.0.0.1");
    socket.pipe(upstream).pipe(socket);
    const close = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on("error", close);
    upstream.on("error", close);
    socket.on("close", close);
    upstream.on("close", close);
  });
  await new Promise<void>((resolve) => terminator.listen(0, "127.0.0.1", resolve));
  return terminator;
}

/** Runs one cousteau call; resolves with what the library hands its user: `{ok, response}`. */
function cousteau(command: string, args: Json): Promise<{ ok: boolean; response: Json }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, server, command, JSON.stringify(args)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, REQUESTS_CA_BUNDLE: join(certDir, "cert.pem"), PYTHONWARNINGS: "ignore" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`${command} exited with ${code}:\n${err}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)!) as { ok: boolean; response: Json });
    });
  });
}

beforeAll(async () => {
  db = await createTestDatabase("cousteau_rest");
  certDir = mkdtempSync(join(tmpdir(), "probestream-tls-"));
  const { key: tlsKey, cert } = makeCertificate(certDir);
  let gatewayPort = 0;
  tls = await startTlsTerminator(tlsKey, cert, () => gatewayPort);
  server = `127.0.0.1:${(tls.address() as AddressInfo).port}`;
  platform = await startPlatform({
    databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN, gatewayPublicUrl: `https://${server}`,
  });
  gatewayPort = Number(new URL(platform.gatewayUrl).port);
  for (const p of FLEET) {
    const res = await fetch(`${platform.ingestUrl}/probe/register`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify(p),
    });
    const { prb_id, secret } = (await res.json()) as { prb_id: number; secret: string };
    probes.push({ prbId: prb_id, secret, authorization: `Probe ${prb_id}:${secret}` });
  }
  key = (await createApiKey(db.url, "alice", ["measurements:create", "results:read_private"])).key;
}, 120_000);

afterAll(async () => {
  await platform?.close();
  await new Promise<void>((resolve) => (tls ? tls.close(() => resolve()) : resolve()));
  if (certDir) rmSync(certDir, { recursive: true, force: true });
  await db?.drop();
});

const created: Record<string, number> = {};

describe("cousteau 1.4.2 over https", () => {
  it("creates one measurement of each of the six types with AtlasCreateRequest, from every kind of AtlasSource", async () => {
    const ping = await cousteau("create", {
      key, type: "ping",
      definition: { af: 4, target: "k.root-servers.net", description: "cousteau ping", packets: 3 },
      source: { type: "area", value: "WW", requested: 2 },
    });
    expect(ping).toMatchObject({ ok: true, response: { measurements: [expect.any(Number)] } });
    created.ping = (ping.response.measurements as number[])[0]!;
    const others: [string, Json, Json][] = [
      ["traceroute", { af: 4, target: "www.ripe.net", description: "cousteau traceroute", protocol: "ICMP" }, { type: "country", value: "NL", requested: 1 }],
      ["dns", { af: 4, target: "k.root-servers.net", description: "cousteau dns", query_class: "IN", query_type: "SOA", query_argument: "." }, { type: "asn", value: 3333, requested: 1 }],
      ["sslcert", { af: 4, target: "www.ripe.net", description: "cousteau sslcert" }, { type: "prefix", value: "145.100.0.0/15", requested: 1 }],
      ["ntp", { af: 4, target: "pool.ntp.org", description: "cousteau ntp" }, { type: "probes", value: "9001,9003", requested: 2 }],
      ["http", { af: 4, target: "www.ripe.net", description: "cousteau http" }, { type: "msm", value: created.ping, requested: 1 }],
    ];
    for (const [type, definition, source] of others) {
      const answer = await cousteau("create", { key, type, definition, source });
      expect(answer, type).toMatchObject({ ok: true, response: { measurements: [expect.any(Number)] } });
      created[type] = (answer.response.measurements as number[])[0]!;
    }
    for (const type of ["ping", "traceroute", "dns", "sslcert", "ntp", "http"]) {
      const { ok, response } = await cousteau("measurement", { id: created[type] });
      expect(ok).toBe(true);
      expect(response).toMatchObject({ id: created[type], type, protocol: 4, is_oneoff: false });
      expect(response.result_url).toBe(`https://${server}/api/v2/measurements/${created[type]}/results/`);
    }
  });

  it("reads results with AtlasResultsRequest and AtlasLatestRequest", async () => {
    // A user's measurement takes results only from the probes assigned to it: the two the area gave.
    const participants = `${platform.gatewayUrl}/api/v2/measurements/${created.ping}/?optional_fields=probes`;
    let assigned: number[] = [];
    await expect.poll(async () => {
      assigned = ((await (await fetch(participants)).json()) as { probes: { id: number }[] }).probes.map((p) => p.id).sort((x, y) => x - y);
      return assigned.length;
    }, { timeout: 30_000 }).toBe(2);
    const [a, b] = assigned as [number, number];
    const t = Math.floor(Date.now() / 1000) - 60;
    for (const [i, id] of assigned.entries()) {
      const probe = probes.find((p) => p.prbId === id)!;
      const batch = [pingResult(probe.prbId, created.ping!, t + i), pingResult(probe.prbId, created.ping!, t + 10 + i)];
      expect((await postResults(platform.ingestUrl, probe, batch)).status).toBe(200);
    }
    const all = await cousteau("results", { msm_id: created.ping, start: t - 5, stop: t + 100 });
    expect(all.ok).toBe(true);
    expect((all.response as unknown as Json[]).map((r) => [r.prb_id, r.timestamp])).toEqual([[a, t], [b, t + 1], [a, t + 10], [b, t + 11]]);
    const one = await cousteau("results", { msm_id: created.ping, probe_ids: [b] });
    expect((one.response as unknown as Json[]).map((r) => r.timestamp)).toEqual([t + 1, t + 11]);
    const latest = await cousteau("latest", { msm_id: created.ping, probe_ids: [a, b] });
    expect(latest.ok).toBe(true);
    expect((latest.response as unknown as Json[]).map((r) => [r.prb_id, r.timestamp])).toEqual([[a, t + 10], [b, t + 11]]);
  });

  it("finds probes with ProbeRequest (following the next links) and reads one with Probe", async () => {
    const nl = await cousteau("probes", { country_code: "NL", fields: "id,asn_v4,asn_v6,country_code,status", page_size: 1 });
    expect(nl.response).toEqual({ ids: [9001, 9002], total_count: 2 });
    expect((await cousteau("probes", { asn_v4: 3320 })).response.ids).toEqual([9003]);
    expect((await cousteau("probes", { radius: "52.37,4.9:50", sort: "-id" })).response.ids).toEqual([9002, 9001]);
    const probe = await cousteau("probe", { id: 9001 });
    expect(probe.response).toMatchObject({
      id: 9001, country_code: "NL", asn_v4: 3333, prefix_v4: "193.0.0.0/21", is_anchor: false, status: "Never Connected",
      geometry: { type: "Point", coordinates: [4.9, 52.37] },
    });
  });

  it("lists measurements with MeasurementRequest as measurement-search asks", async () => {
    const found = await cousteau("measurements", {
      search: "cousteau", status__in: [0, 1, 2], af: 4, type: "ping", fields: "id,type,description,status",
    });
    expect(found.response).toMatchObject({ measurements: [{ id: created.ping, type: "ping" }], total_count: 1 });
  });

  it("changes participation with AtlasChangeRequest (remove, add) and stops with AtlasStopRequest", async () => {
    const change = await cousteau("change", {
      key, msm_id: created.ntp, sources: [{ action: "remove", type: "probes", value: "9003", requested: 1 }],
    });
    expect(change).toMatchObject({ ok: true, response: { request_ids: [expect.any(Number)] } });
    const add = await cousteau("change", {
      key, msm_id: created.traceroute, sources: [{ action: "add", type: "probes", value: "9003", requested: 1 }],
    });
    expect(add).toMatchObject({ ok: true, response: { request_ids: [expect.any(Number)] } });

    const stop = await cousteau("stop", { key, msm_id: created.ping });
    expect(stop.ok).toBe(true);
    expect((await cousteau("measurement", { id: created.ping })).response).toMatchObject({ status_id: 4, status: "Stopped" });
    const again = await cousteau("stop", { key: "not-a-key", msm_id: created.http });
    expect(again).toMatchObject({ ok: false, response: { error: { status: 403, code: 104 } } });
  });
});
