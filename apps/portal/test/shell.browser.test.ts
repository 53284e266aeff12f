import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import pg from "pg";
import { createApiKey, pingResult, postResults, registerProbe, type TestProbe } from "@probestream/testkit";
import { ADMIN_TOKEN, horizontalOverflow, launchChromium, seriousA11yViolations, startPortalStack, type PortalStack } from "./portal-harness.js";

// The portal's shell and measurement list: sign-in/out, the list through the API as the visitor
// (a private measurement only for its owner), search, filters, paging, live counts, 404/403 pages.

const PRIVATE_ID = 9301;
const LIVE_ID = 9302;
const DNS_ID = 9303;
/** Public pings 9400..9429: more than one page of the list (25 a page). */
const MANY = Array.from({ length: 30 }, (_, i) => 9400 + i);
const PRB_ID = 6301;

let stack: PortalStack;
let browser: Browser;
let ownerKey: string;
let probe: TestProbe;

beforeAll(async () => {
  stack = await startPortalStack("portal_shell", async (databaseUrl) => {
    ownerKey = (await createApiKey(databaseUrl, "olga", ["results:read_private", "measurements:create"])).key;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO measurements (id, type, description, target, is_public, owner_id) VALUES
           ($1, 'ping', 'Olga secret ping', 'secret.example.net', false, (SELECT id FROM users WHERE name = 'olga')),
           ($2, 'ping', 'Live counter ping', 'k.root-servers.net', true, NULL),
           ($3, 'dns', 'Resolver check', 'ns1.example.org', true, NULL)`,
        [PRIVATE_ID, LIVE_ID, DNS_ID],
      );
      await client.query(
        `INSERT INTO measurements (id, type, description, target, is_public)
         SELECT id, 'ping', 'Bulk ping ' || id, 'bulk.example.net', true FROM unnest($1::int[]) AS id`,
        [MANY],
      );
    } finally {
      await client.end();
    }
  });
  probe = await registerProbe(stack.platform.ingestUrl, ADMIN_TOKEN, PRB_ID);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function withPage<T>(fn: (page: Page, context: BrowserContext) => Promise<T>, viewport = { width: 1280, height: 900 }): Promise<T> {
  const context = await browser.newContext({ viewport });
  try {
    return await fn(await context.newPage(), context);
  } finally {
    await context.close();
  }
}

const row = (page: Page, id: number) => page.locator(`[data-testid="measurement-row"][data-msm-id="${id}"]`);

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto(`${stack.portalUrl}/session`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${stack.portalUrl}/`);
}

describe("signing in and out", () => {
  it("shows a private measurement to its owner only while signed in, the key only in an httpOnly session cookie", async () => {
    await withPage(async (page, context) => {
      await page.goto(`${stack.portalUrl}/?q=olga`);
      await expect(page.locator('[data-testid="list-empty"]').isVisible()).resolves.toBe(true);
      await expect(row(page, PRIVATE_ID).count()).resolves.toBe(0);

      await signIn(page, ownerKey);
      await expect(page.locator('[data-testid="signed-in-user"]').textContent()).resolves.toBe("olga");
      await page.goto(`${stack.portalUrl}/?q=olga`);
      await row(page, PRIVATE_ID).waitFor({ state: "visible", timeout: 5_000 });
      await expect(row(page, PRIVATE_ID).locator('[data-testid="private-badge"]').count()).resolves.toBe(1);
      expect(page.url()).not.toContain(ownerKey);
      const [cookie] = await context.cookies();
      expect(cookie).toMatchObject({ value: ownerKey, httpOnly: true, sameSite: "Lax", expires: -1 });
      await expect(page.evaluate(() => document.cookie)).resolves.not.toContain(ownerKey);

      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(`${stack.portalUrl}/`);
      await expect(page.locator('[data-testid="sign-in-link"]').isVisible()).resolves.toBe(true);
      await expect(context.cookies()).resolves.toEqual([]);
      await page.goto(`${stack.portalUrl}/?q=olga`);
      await expect(row(page, PRIVATE_ID).count()).resolves.toBe(0);
    });
  });

  it("refuses an unknown key at the form and keeps the visitor signed out", async () => {
    await withPage(async (page, context) => {
      await page.goto(`${stack.portalUrl}/session`);
      await page.getByLabel("API key").fill("not-a-key");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(/\/session\?error=invalid/);
      await expect(page.locator("#sign-in-error").textContent()).resolves.toContain("does not know this key");
      expect(page.url()).not.toContain("not-a-key");
      await expect(context.cookies()).resolves.toEqual([]);
    });
  });

  it("answers friendly 404 and 403 pages", async () => {
    await withPage(async (page) => {
      const missing = await page.goto(`${stack.portalUrl}/no/such/page`);
      expect(missing?.status()).toBe(404);
      await expect(page.locator('[data-testid="not-found"]').isVisible()).resolves.toBe(true);
      await expect(page.locator("header nav").count()).resolves.toBe(1);
      const privateOne = await page.goto(`${stack.portalUrl}/measurements/${PRIVATE_ID}`);
      expect(privateOne?.status()).toBe(403);
      await expect(page.locator('[data-testid="forbidden"]').isVisible()).resolves.toBe(true);
    });
  });
});

describe("the measurement list", () => {
  it("searches by description, target and id, and filters by type and visibility", async () => {
    await withPage(async (page) => {
      await page.goto(`${stack.portalUrl}/`);
      await page.getByLabel("Search").fill("resolver");
      await page.getByRole("button", { name: "Apply" }).click();
      await page.waitForURL(/q=resolver/);
      await expect(page.locator('[data-testid="measurement-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-msm-id")))).resolves.toEqual([String(DNS_ID)]);

      await page.goto(`${stack.portalUrl}/?q=${LIVE_ID}`);
      await expect(page.locator('[data-testid="measurement-row"]').count()).resolves.toBe(1);
      await page.goto(`${stack.portalUrl}/?q=bulk.example`);
      await expect(page.locator('[data-testid="list-range"]').textContent()).resolves.toBe("1–25 of 30");

      await page.goto(`${stack.portalUrl}/`);
      await page.getByLabel("Type").selectOption("dns");
      await page.getByRole("button", { name: "Apply" }).click();
      await page.waitForURL(/type=dns/);
      await expect(page.locator('[data-testid="measurement-row"]').count()).resolves.toBe(1);

      await page.goto(`${stack.portalUrl}/?visibility=private`);
      await expect(page.locator('[data-testid="list-empty"]').isVisible()).resolves.toBe(true);
    });
  });

  it("pages through more measurements than one page holds", async () => {
    await withPage(async (page) => {
      await page.goto(`${stack.portalUrl}/?q=bulk&sort=id`);
      const ids = () => page.locator('[data-testid="measurement-row"]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-msm-id"))));
      await expect(ids()).resolves.toEqual(MANY.slice(0, 25));
      await expect(page.locator('[data-testid="page-previous"]').count()).resolves.toBe(0);
      await page.locator('[data-testid="page-next"]').click();
      await page.waitForURL(/page=2/);
      await expect(ids()).resolves.toEqual(MANY.slice(25));
      await expect(page.locator('[data-testid="list-range"]').textContent()).resolves.toBe("26–30 of 30");
      await expect(page.locator('[data-testid="page-next"]').count()).resolves.toBe(0);
      await page.locator('[data-testid="page-previous"]').click();
      await page.waitForURL((url) => !url.search.includes("page="));
      await expect(ids()).resolves.toEqual(MANY.slice(0, 25));
    });
  });

  it("updates a row's result count and last result time while the page stays open", async () => {
    await withPage(async (page) => {
      await page.goto(`${stack.portalUrl}/?q=${LIVE_ID}`);
      await expect(row(page, LIVE_ID).getAttribute("data-result-count")).resolves.toBe("0");
      const timestamp = Math.floor(Date.now() / 1000);
      expect((await postResults(stack.platform.ingestUrl, probe, [pingResult(PRB_ID, LIVE_ID, timestamp)])).status).toBe(200);
      await page.locator(`[data-testid="measurement-row"][data-msm-id="${LIVE_ID}"][data-result-count="1"]`).waitFor({ timeout: 15_000 });
      // The last result time is when it was stored: at or after the probe's timestamp, by now.
      const shown = Date.parse((await row(page, LIVE_ID).locator("time").getAttribute("datetime")) ?? "");
      expect(shown).toBeGreaterThanOrEqual(timestamp * 1000);
      expect(shown).toBeLessThanOrEqual(Date.now());
    });
  });
});

describe("the shell", () => {
  it("has a skip link first, navigation to every section and the docs, and a favicon", async () => {
    await withPage(async (page) => {
      await page.goto(`${stack.portalUrl}/`);
      await page.keyboard.press("Tab");
      await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Skip to content");
      await page.keyboard.press("Enter");
      await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe("main");
      const nav = page.getByRole("navigation", { name: "Main" });
      for (const [name, href] of [["Measurements", "/"], ["New measurement", "/measurements/new"], ["Probes", "/probes"], ["API keys", "/keys"], ["Docs", "/docs"]]) {
        await expect(nav.getByRole("link", { name, exact: true }).getAttribute("href")).resolves.toBe(href);
      }
      await expect(nav.getByRole("link", { name: "Measurements", exact: true }).getAttribute("aria-current")).resolves.toBe("page");
      const icon = await page.locator('link[rel="icon"]').getAttribute("href");
      expect(icon).toMatch(/icon/);
      expect((await fetch(new URL(icon!, stack.portalUrl))).headers.get("content-type")).toMatch(/svg/);
    });
  });

  it("has no serious accessibility violations on the list and the docs", async () => {
    await withPage(async (page) => {
      for (const path of ["/", "/docs", "/docs/streaming", "/session"]) {
        await page.goto(`${stack.portalUrl}${path}`);
        expect(await seriousA11yViolations(page), path).toEqual([]);
      }
    });
  });

  it("documents every stream event and subscription parameter", async () => {
    await withPage(async (page) => {
      await page.goto(`${stack.portalUrl}/docs/streaming`);
      const { StreamEvents, SubscriptionParams } = await import("@probestream/types");
      const events = await page.locator('[data-testid="stream-events"] tbody tr td:first-child').allTextContents();
      expect(events).toEqual(Object.values(StreamEvents));
      const parameters = await page.locator('[data-testid="stream-parameters"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-parameter")));
      expect(parameters).toEqual(Object.keys(SubscriptionParams.properties));
      await expect(page.getByRole("link", { name: "REST API reference" }).first().getAttribute("href")).resolves.toBe(`${stack.platform.gatewayUrl}/api/v2/docs/`);
    });
  });

  it("links the gateway's API reference, which renders its Markdown", async () => {
    await withPage(async (page) => {
      await page.goto(`${stack.portalUrl}/docs`);
      const href = await page.getByRole("link", { name: "REST API reference" }).first().getAttribute("href");
      expect(href).toBe(`${stack.platform.gatewayUrl}/api/v2/docs/`);
      await page.goto(href!);
      // `**RIPE Atlas REST API v2**` in the document's description comes out bold, not as asterisks.
      await page.locator("strong", { hasText: "RIPE Atlas REST API v2" }).first().waitFor({ timeout: 20_000 });
      await expect(page.getByText("**RIPE Atlas").count()).resolves.toBe(0);
    });
  });

  it("fits a 360 px phone with the navigation folded behind a menu button", async () => {
    await withPage(
      async (page) => {
        for (const path of ["/", "/docs", "/docs/streaming", "/session", "/no/such/page"]) {
          await page.goto(`${stack.portalUrl}${path}`);
          expect(await horizontalOverflow(page), path).toBe(0);
        }
        await page.goto(`${stack.portalUrl}/`);
        const nav = page.getByRole("navigation", { name: "Main" });
        await expect(nav.isVisible()).resolves.toBe(false);
        const menu = page.getByRole("button", { name: "Menu" });
        await menu.click();
        await expect(menu.getAttribute("aria-expanded")).resolves.toBe("true");
        await expect(nav.getByRole("link", { name: "Probes" }).isVisible()).resolves.toBe(true);
        expect(await horizontalOverflow(page)).toBe(0);
        expect(await seriousA11yViolations(page)).toEqual([]);

        // The filters beside the search fold too, and open on demand.
        await expect(page.getByLabel("Search").isVisible()).resolves.toBe(true);
        await expect(page.getByLabel("Type").isVisible()).resolves.toBe(false);
        await page.getByRole("button", { name: "Filters" }).click();
        await expect(page.getByLabel("Type").isVisible()).resolves.toBe(true);
        expect(await horizontalOverflow(page)).toBe(0);
      },
      { width: 360, height: 740 },
    );
  });
});
