import { afterAll, beforeAll, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createTestDatabase, pingResult, postResults, registerProbe, type TestDatabase } from "@probestream/testkit";

// The RIPE Atlas seed page, verbatim (shared/reference/seed-client.html): only HOST:PORT is replaced.
const SEED = readFileSync(new URL("./fixtures/seed-client.html", import.meta.url), "utf8");
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
  page = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(SEED.replaceAll("HOST:PORT", host)));
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
