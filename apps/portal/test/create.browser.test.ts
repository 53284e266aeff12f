import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startFleet, type Fleet } from "@probestream/simulator";
import { createApiKey } from "@probestream/testkit";
import { ADMIN_TOKEN, horizontalOverflow, launchChromium, seriousA11yViolations, startPortalStack, type PortalStack } from "./portal-harness.js";

/** The session cookie of lib/session.ts (outside this tsconfig's root), as the sign-in route sets it. */
const SESSION_COOKIE = "probestream_key";
const PROBES = 4;
const FIRST_PROBE_ID = 71_001;

let stack: PortalStack;
let fleet: Fleet;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let key = "";

/** What a user fills in for each type beyond target and description (the form preselects the rest). */
const CASES: { type: string; target: string; fill?: Record<string, string> }[] = [
  { type: "ping", target: "k.root-servers.net", fill: { "definitions-0-packets": "4" } },
  { type: "traceroute", target: "www.ripe.net", fill: { "definitions-0-max_hops": "24" } },
  { type: "dns", target: "k.root-servers.net", fill: { "definitions-0-query_argument": "www.ripe.net" } },
  { type: "sslcert", target: "www.ripe.net", fill: { "definitions-0-port": "443" } },
  { type: "ntp", target: "ntp.ripe.net" },
  { type: "http", target: "www.ripe.net", fill: { "definitions-0-path": "/about" } },
];

beforeAll(async () => {
  stack = await startPortalStack("portal_create", async (databaseUrl) => {
    key = (await createApiKey(databaseUrl, "creator", ["measurements:create"])).key;
  });
  // Probes that run only what the controller assigns them, as in `npm start`.
  fleet = await startFleet({
    ingestUrl: stack.platform.ingestUrl,
    adminToken: ADMIN_TOKEN,
    probes: PROBES,
    rate: 1,
    measurements: [],
    firstProbeId: FIRST_PROBE_ID,
    batchMs: 250,
  });
  const deadline = Date.now() + 15_000;
  while (fleet.stats().connected < PROBES && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  browser = await launchChromium();
  context = await browser.newContext();
  await context.addCookies([{ name: SESSION_COOKIE, value: key, url: stack.portalUrl, httpOnly: true, sameSite: "Lax" }]);
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await fleet?.stop();
  await stack?.stop();
});

async function openForm(): Promise<void> {
  await page.goto(`${stack.portalUrl}/measurements/new`);
  await page.waitForSelector('[data-testid="measurement-form"]');
}

describe("creating a measurement in the portal", () => {
  for (const { type, target, fill } of CASES) {
    it(`creates a one-off ${type} through the form and shows its first result as it arrives`, async () => {
      await openForm();
      await page.check(`input[name="definitions/0/type"][value="${type}"]`);
      await page.fill("#f-definitions-0-target", target);
      await page.fill("#f-definitions-0-description", `Browser-made ${type}`);
      for (const [id, value] of Object.entries(fill ?? {})) await page.fill(`#f-${id}`, value);
      await page.fill("#f-probes-0-requested", "2");
      const submitted = Date.now();
      await page.click('[data-testid="create-measurement"]');
      await page.waitForURL(/\/measurements\/\d+$/, { timeout: 10_000 });
      const msmId = Number(new URL(page.url()).pathname.split("/").pop());
      expect(msmId).toBeGreaterThan(0);
      await page.locator('[data-testid="result-row"]').first().waitFor({ state: "visible", timeout: 15_000 });
      console.log(`${type}: measurement ${msmId}, first result on the page ${Date.now() - submitted} ms after submitting`);

      const stored = (await (await fetch(`${stack.platform.gatewayUrl}/api/v2/measurements/${msmId}/`)).json()) as Record<string, unknown>;
      expect(stored).toMatchObject({ type, target, description: `Browser-made ${type}`, is_oneoff: true, is_public: true });
    });
  }

  it("creates a periodic measurement with its interval and spread, on listed probes", async () => {
    await openForm();
    await page.fill("#f-definitions-0-target", "www.ripe.net");
    await page.fill("#f-definitions-0-description", "Browser-made periodic ping");
    await page.check('input[name="timing"][value="periodic"]');
    await page.fill("#f-definitions-0-interval", "60");
    await page.fill("#f-definitions-0-spread", "0");
    await page.selectOption("#f-probes-0-type", "probes");
    await page.fill("#f-probes-0-value", `${FIRST_PROBE_ID}, ${FIRST_PROBE_ID + 1}`);
    await page.fill("#f-probes-0-requested", "2");
    await page.click('[data-testid="create-measurement"]');
    await page.waitForURL(/\/measurements\/\d+$/, { timeout: 10_000 });
    const msmId = Number(new URL(page.url()).pathname.split("/").pop());
    await page.locator('[data-testid="result-row"]').first().waitFor({ state: "visible", timeout: 15_000 });
    const stored = (await (await fetch(`${stack.platform.gatewayUrl}/api/v2/measurements/${msmId}/`)).json()) as Record<string, unknown>;
    expect(stored).toMatchObject({ type: "ping", is_oneoff: false, interval: 60, spread: 0 });
  });

  it("shows the API's refusal at the field it names, and keeps what was entered", async () => {
    await openForm();
    await page.fill("#f-definitions-0-target", "2001:db8::1");
    await page.fill("#f-definitions-0-description", "IPv6 target with af 4");
    await page.selectOption("#f-probes-0-type", "probes");
    await page.fill("#f-probes-0-value", "999999");
    await page.fill("#f-probes-0-requested", "1");
    await page.click('[data-testid="create-measurement"]');
    const targetError = page.locator('[data-testid="field-error"][data-field="definitions/0/target"]');
    await targetError.waitFor({ state: "visible", timeout: 10_000 });
    await expect(targetError.textContent()).resolves.toContain("af is 4");
    await expect(page.getAttribute("#f-definitions-0-target", "aria-invalid")).resolves.toBe("true");
    await expect(page.getAttribute("#f-definitions-0-target", "aria-describedby")).resolves.toContain("f-definitions-0-target-error");
    await expect(page.inputValue("#f-definitions-0-description")).resolves.toBe("IPv6 target with af 4");
    await expect(page.locator('[data-testid="form-problems"]').isVisible()).resolves.toBe(true);
    expect(new URL(page.url()).pathname).toBe("/measurements/new");
  });

  it("has no serious accessibility violations and fits a 360 px screen, for every type's options", async () => {
    await openForm();
    await page.setViewportSize({ width: 360, height: 780 });
    for (const { type } of CASES) {
      await page.check(`input[name="definitions/0/type"][value="${type}"]`);
      const more = page.locator('[data-testid="type-options"] summary');
      if ((await more.count()) > 0) await more.click();
      expect(await horizontalOverflow(page), type).toBe(0);
    }
    await page.check('input[name="timing"][value="periodic"]');
    expect(await horizontalOverflow(page)).toBe(0);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it("tells a visitor who is not signed in why and where to sign in", async () => {
    const anonymous = await browser.newPage();
    try {
      await anonymous.goto(`${stack.portalUrl}/measurements/new`);
      const notice = anonymous.locator('[data-testid="sign-in-needed"]');
      await notice.waitFor({ state: "visible" });
      await expect(anonymous.getAttribute('[data-testid="sign-in-needed"] a', "href")).resolves.toBe("/session?next=/measurements/new");
      expect(await anonymous.locator('[data-testid="measurement-form"]').count()).toBe(0);
      expect(await seriousA11yViolations(anonymous)).toEqual([]);
    } finally {
      await anonymous.close();
    }
  });
});
