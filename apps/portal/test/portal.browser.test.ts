import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { createCatalog } from "@probestream/db";
import { loadFixtures, postResults, registerProbe, type TestProbe } from "@probestream/testkit";
import { ADMIN_TOKEN, launchChromium, startPortalStack, type PortalStack } from "./portal-harness.js";

const MSM_ID = 9101;
const PRB_ID = 6101;

let stack: PortalStack;
let portalUrl: string;
let browser: Browser;
let page: Page;
let probe: TestProbe;

function pingResult(timestamp: number): Record<string, unknown> {
  const fixture = loadFixtures().find((f) => f.file === "ping/ping-001.json");
  if (!fixture) throw new Error("fixture ping/ping-001.json is missing");
  return { ...fixture.result, prb_id: PRB_ID, msm_id: MSM_ID, timestamp };
}

beforeAll(async () => {
  stack = await startPortalStack("portal", async (databaseUrl) => {
    const catalog = createCatalog(databaseUrl);
    try {
      await catalog.ensureMeasurements([
        { id: MSM_ID, type: "ping", description: "Portal browser test ping", target: "k.root-servers.net" },
      ]);
    } finally {
      await catalog.close();
    }
  });
  portalUrl = stack.portalUrl;
  probe = await registerProbe(stack.platform.ingestUrl, ADMIN_TOKEN, PRB_ID);
  browser = await launchChromium();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("portal in a browser", () => {
  it("shows a result on the measurement page as soon as a probe sends it", async () => {
    await page.goto(`${portalUrl}/measurements/${MSM_ID}`);
    await expect(page.locator("h1").textContent()).resolves.toContain(`Measurement ${MSM_ID}`);
    await page.waitForSelector('[data-testid="connection"][data-state="subscribed"]', { timeout: 15_000 });
    // The stored snapshot is in too, so the row below can only come from the stream.
    await page.waitForSelector('[data-testid="results"][data-stored="loaded"]', { timeout: 5_000 });

    const timestamp = Math.floor(Date.now() / 1000);
    const posted = await postResults(stack.platform.ingestUrl, probe, [pingResult(timestamp)]);
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
