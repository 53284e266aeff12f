import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { createCatalog } from "@probestream/db";
import { startPlatform, type Platform } from "@probestream/standalone";
import {
  createTestDatabase,
  loadFixtures,
  postResults,
  registerProbe,
  type TestDatabase,
  type TestProbe,
  freePort,
} from "@probestream/testkit";

const PORTAL_DIR = fileURLToPath(new URL("..", import.meta.url));
const ADMIN_TOKEN = "portal-test-admin";
const MSM_ID = 9101;
const PRB_ID = 6101;
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

let db: TestDatabase;
let platform: Platform;
let portal: ChildProcess;
let portalUrl: string;
let browser: Browser;
let page: Page;
let probe: TestProbe;
let portalOutput = "";

/** `next start` serves the production build, which the root `npm test` makes first. */
function startPortal(port: number, env: Record<string, string>): ChildProcess {
  if (!existsSync(`${PORTAL_DIR}/.next/BUILD_ID`)) {
    throw new Error("apps/portal has no production build: run `npx turbo run build` (or `next build` in apps/portal) first");
  }
  const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
  const child = spawn(process.execPath, [nextBin, "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: PORTAL_DIR,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const keep = (chunk: Buffer) => {
    portalOutput += chunk.toString();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return child;
}

async function waitUntilAnswering(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (portal.exitCode !== null) throw new Error(`next start exited (${portal.exitCode}):\n${portalOutput}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`portal did not answer within ${timeoutMs} ms:\n${portalOutput}`);
}

function stopPortal(): Promise<void> {
  if (!portal || portal.exitCode !== null || portal.pid === undefined) return Promise.resolve();
  const exited = new Promise<void>((resolve) => portal.once("exit", () => resolve()));
  // The whole group: whatever next start forked goes with it.
  process.kill(-portal.pid, "SIGTERM");
  return exited;
}

function pingResult(timestamp: number): Record<string, unknown> {
  const fixture = loadFixtures().find((f) => f.file === "ping/ping-001.json");
  if (!fixture) throw new Error("fixture ping/ping-001.json is missing");
  return { ...fixture.result, prb_id: PRB_ID, msm_id: MSM_ID, timestamp };
}

beforeAll(async () => {
  db = await createTestDatabase("portal");
  const catalog = createCatalog(db.url);
  try {
    await catalog.ensureMeasurements([
      { id: MSM_ID, type: "ping", description: "Portal browser test ping", target: "k.root-servers.net" },
    ]);
  } finally {
    await catalog.close();
  }
  platform = await startPlatform({
    databaseUrl: db.url,
    host: "127.0.0.1",
    gatewayPort: 0,
    ingestPort: 0,
    ingestAdminToken: ADMIN_TOKEN,
  });
  probe = await registerProbe(platform.ingestUrl, ADMIN_TOKEN, PRB_ID);

  const port = await freePort();
  portalUrl = `http://127.0.0.1:${port}`;
  portal = startPortal(port, { DATABASE_URL: db.url, GATEWAY_PUBLIC_URL: platform.gatewayUrl });
  await waitUntilAnswering(`${portalUrl}/`, 60_000);

  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await stopPortal();
  await platform?.close();
  await db?.drop();
});

describe("portal in a browser", () => {
  it("shows a result on the measurement page as soon as a probe sends it", async () => {
    await page.goto(`${portalUrl}/measurements/${MSM_ID}`);
    await expect(page.locator("h1").textContent()).resolves.toContain(`Measurement ${MSM_ID}`);
    await page.waitForSelector('[data-testid="connection"][data-state="subscribed"]', { timeout: 15_000 });
    // The stored snapshot is in too, so the row below can only come from the stream.
    await page.waitForSelector('[data-testid="results"][data-stored="loaded"]', { timeout: 5_000 });

    const timestamp = Math.floor(Date.now() / 1000);
    const posted = await postResults(platform.ingestUrl, probe, [pingResult(timestamp)]);
    expect(posted.status).toBe(200);
    expect(posted.body.stored).toBe(1);

    const row = page.locator(
      `[data-testid="results"] [data-testid="result-row"][data-prb-id="${PRB_ID}"][data-timestamp="${timestamp}"]`,
    );
    await row.waitFor({ state: "visible", timeout: 5_000 });
    await expect(row.textContent()).resolves.toMatch(/avg [\d.]+ ms · loss \d+%/);
  });

  it("lists the measurement with its result count on the home page", async () => {
    await page.goto(`${portalUrl}/`);
    const row = page.locator(`[data-testid="measurement-row"][data-msm-id="${MSM_ID}"]`);
    await row.waitFor({ state: "visible", timeout: 5_000 });
    await expect(row.getAttribute("data-result-count")).resolves.toBe("1");
    await expect(row.textContent()).resolves.toContain("Portal browser test ping");
    await expect(page.locator(`a[href="/measurements/${MSM_ID}"]`).count()).resolves.toBeGreaterThan(0);
  });

  it("answers 404 for an unknown measurement", async () => {
    const response = await page.goto(`${portalUrl}/measurements/999999`);
    expect(response?.status()).toBe(404);
  });
});
