import { afterAll, beforeAll, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createTestDatabase, pingResult, postResults, registerProbe, type TestDatabase } from "@probestream/testkit";

// The RIPE Atlas seed page, verbatim (shared/reference/seed-client.html): only HOST:PORT is replaced.
const SEED = readFileSync(new URL("./fixtures/seed-client.html", import.meta.url), "utf8");
// The socket.io v2 browser client: Engine.IO 3 without base64 (XHR2), so polling payloads come binary-framed.
const V2_CLIENT = readFileSync(new URL(import.meta.resolve("socket.io-client-v2/dist/socket.io.js")));
const V2_PAGE = `<script src="/socket.io-v2.js"></script>
<script>
  var socket = io("http://HOST:PORT", { path: "/stream/socket.io", transports: ["polling"] });
  socket.on("atlas_result", function (result) { console.log("v2 received " + JSON.stringify(result)); });
  socket.emit("atlas_subscribe", { stream_type: "result", msm: 1791208 });
</script>`;
const ADMIN = "test-admin-token";

let db: TestDatabase;
let platform: Platform;
let page: Server;
let browser: Browser;

beforeAll(async () => {
  db = await createTestDatabase("seed_client");
  platform = await startPlatform({ databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, ingestAdminToken: ADMIN });
  const host = new URL(platform.gatewayUrl).host;
  // Served from another origin than the gateway's, as a user's own page would be.
  page = createServer((req, res) => {
    if (req.url === "/socket.io-v2.js") res.writeHead(200, { "content-type": "application/javascript" }).end(V2_CLIENT);
    else res.writeHead(200, { "content-type": "text/html" }).end((req.url === "/v2" ? V2_PAGE : SEED).replaceAll("HOST:PORT", host));
  });
  await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run"],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => page?.close(resolve));
  await platform?.close();
  await db?.drop();
});

it("the seed page works unchanged but for the host: it receives a result posted after it subscribed", async () => {
  const tab = await browser.newPage();
  const received: string[] = [];
  tab.on("console", (message) => {
    if (message.text().startsWith("I received")) received.push(message.text());
  });
  await tab.goto(`http://127.0.0.1:${(page.address() as { port: number }).port}/`);
  const subscriptions = async () => {
    const metrics = await (await fetch(`${platform.gatewayUrl}/metrics`)).text();
    return Number(/gateway_stream_subscriptions\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  };
  await expect.poll(subscriptions, { timeout: 10_000 }).toBe(1);
  const probe = await registerProbe(platform.ingestUrl, ADMIN, 81);
  await postResults(platform.ingestUrl, probe, [pingResult(probe.prbId, 1791207, 1_790_000_000)]);
  await expect.poll(() => received.length, { timeout: 10_000 }).toBe(1);
  await tab.close();
});

it("a socket.io v2 page on long-polling reads the binary-framed Engine.IO 3 payloads", async () => {
  const tab = await browser.newPage();
  const received: string[] = [];
  const pollTypes = new Set<string>();
  tab.on("console", (message) => {
    if (message.text().startsWith("v2 received")) received.push(message.text());
  });
  tab.on("response", (response) => {
    if (response.url().includes("/stream/socket.io/") && response.request().method() === "GET") pollTypes.add(response.headers()["content-type"] ?? "");
  });
  await tab.goto(`http://127.0.0.1:${(page.address() as { port: number }).port}/v2`);
  const probe = await registerProbe(platform.ingestUrl, ADMIN, 82);
  const result = pingResult(probe.prbId, 1791208, 1_790_000_100);
  // Posted until one arrives: the page subscribes on its own time.
  await expect
    .poll(async () => {
      if (received.length === 0) await postResults(platform.ingestUrl, probe, [{ ...result, timestamp: result.timestamp + Date.now() % 1000 }]);
      return received.length;
    }, { timeout: 15_000, interval: 500 })
    .toBeGreaterThan(0);
  expect(JSON.parse(received[0]!.slice("v2 received ".length))).toMatchObject({ msm_id: 1791208, prb_id: probe.prbId });
  expect([...pollTypes]).toEqual(["application/octet-stream"]);
  await tab.close();
});
