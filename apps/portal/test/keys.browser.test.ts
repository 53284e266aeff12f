import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import pg from "pg";
import { createApiKey } from "@probestream/testkit";
import { horizontalOverflow, launchChromium, seriousA11yViolations, startPortalStack, type PortalStack } from "./portal-harness.js";

// /keys: the signed-in user's keys with their rights, creating a key (shown once) and revoking keys,
// a key without keys:manage revoking only itself.

let stack: PortalStack;
let browser: Browser;
let managerKey: string;
let readerKey: string;
let hookKey: string;

beforeAll(async () => {
  stack = await startPortalStack("portal_keys", async (databaseUrl) => {
    managerKey = (await createApiKey(databaseUrl, "kim", ["measurements:create", "results:read_private", "keys:manage"])).key;
    readerKey = (await createApiKey(databaseUrl, "kim", ["results:read_private"])).key;
    hookKey = (await createApiKey(databaseUrl, "lee", ["webhooks:manage"])).key;
  }, { webhooks: { secretKey: Buffer.alloc(32, 3), allowPrivateTargets: true, worker: false } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function withSignedIn<T>(key: string | null, fn: (page: Page, context: BrowserContext) => Promise<T>, viewport = { width: 1280, height: 900 }): Promise<T> {
  const context = await browser.newContext({ viewport });
  try {
    const page = await context.newPage();
    if (key !== null) {
      await page.goto(`${stack.portalUrl}/session`);
      await page.getByLabel("API key").fill(key);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${stack.portalUrl}/`);
    }
    return await fn(page, context);
  } finally {
    await context.close();
  }
}

const keyIds = (page: Page) => page.locator('[data-testid="key-row"]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-key-id"))));

async function apiStatus(key: string): Promise<number> {
  return (await fetch(`${stack.platform.gatewayUrl}/api/v2/keys/current/`, { headers: { authorization: `Key ${key}` } })).status;
}

describe("API keys page", () => {
  it("asks an anonymous visitor to sign in", async () => {
    await withSignedIn(null, async (page) => {
      await page.goto(`${stack.portalUrl}/keys`);
      await expect(page.getByRole("link", { name: "Sign in with an API key" }).getAttribute("href")).resolves.toBe("/session?next=%2Fkeys");
      expect(await seriousA11yViolations(page)).toEqual([]);
    });
  });

  it("creates a key with chosen rights, shows it once, and revokes it", async () => {
    await withSignedIn(managerKey, async (page) => {
      await page.goto(`${stack.portalUrl}/keys`);
      expect(await keyIds(page)).toHaveLength(2);
      expect(await seriousA11yViolations(page)).toEqual([]);

      await page.getByLabel("Label").fill("ci reader");
      await page.getByLabel("results:read_private").check();
      await page.getByRole("button", { name: "Create key" }).click();
      const shown = page.locator('[data-testid="new-key-value"]');
      await shown.waitFor({ timeout: 10_000 });
      const newKey = await shown.inputValue();
      expect(newKey).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(page.url()).not.toContain(newKey);
      expect(await apiStatus(newKey)).toBe(200);
      const row = page.locator('[data-testid="key-row"]', { hasText: "ci reader" });
      await row.waitFor({ timeout: 5_000 });
      await expect(row.textContent()).resolves.toContain("results:read_private");

      // Shown once: a reload lists the key without the key itself.
      await page.reload();
      await expect(page.locator('[data-testid="new-key-value"]').count()).resolves.toBe(0);
      await expect(page.content()).resolves.not.toContain(newKey);
      expect(await keyIds(page)).toHaveLength(3);

      const id = await row.getAttribute("data-key-id");
      await row.getByRole("button", { name: `Revoke key ${id}` }).click();
      await row.waitFor({ state: "detached", timeout: 10_000 });
      expect(await keyIds(page)).toHaveLength(2);
      expect(await apiStatus(newKey)).toBe(403);
    });
  });

  it("offers rights the signed-in key lacks only as disabled, and lets a key without keys:manage revoke only itself", async () => {
    await withSignedIn(readerKey, async (page, context) => {
      await page.goto(`${stack.portalUrl}/keys`);
      await expect(page.getByLabel("keys:manage").isDisabled()).resolves.toBe(true);
      await expect(page.getByLabel("results:read_private").isDisabled()).resolves.toBe(false);
      const revokeButtons = page.getByRole("button", { name: /^Revoke key/ });
      await expect(revokeButtons.count()).resolves.toBe(1);
      await expect(revokeButtons.getAttribute("aria-label")).resolves.toContain("this key");

      await revokeButtons.click();
      await page.getByRole("link", { name: "Sign in with an API key" }).waitFor({ timeout: 10_000 });
      expect(await apiStatus(readerKey)).toBe(403);
      expect((await context.cookies()).filter((c) => c.value !== "")).toEqual([]);
      expect(await apiStatus(managerKey)).toBe(200);
    });
  });

  it("lists the user's webhooks and their health to a key with webhooks:manage", async () => {
    const create = async (url: string) => {
      const created = await fetch(`${stack.platform.gatewayUrl}/api/v2/webhooks/`, {
        method: "POST",
        headers: { authorization: `Key ${hookKey}`, "content-type": "application/json" },
        body: JSON.stringify({ url, secret: "kim-webhook-secret-01", subscription: { stream_type: "result", msm: 1001 } }),
      });
      expect(created.status).toBe(201);
      return ((await created.json()) as { id: number }).id;
    };
    await create("http://127.0.0.1:9/kim-hook");
    const failingId = await create("http://127.0.0.1:9/kim-failing-hook");
    // What a worker does when a webhook's retry window runs out (this stack runs no worker).
    const client = new pg.Client({ connectionString: stack.db.url });
    await client.connect();
    try {
      await client.query("UPDATE webhooks SET state = 'failing', last_error = 'HTTP 500', retry_since = now() - interval '1 day' WHERE id = $1", [failingId]);
    } finally {
      await client.end();
    }
    await withSignedIn(hookKey, async (page) => {
      await page.goto(`${stack.portalUrl}/keys`);
      const rows = page.locator('[data-testid="webhook-row"]');
      await expect(rows.count()).resolves.toBe(2);
      const active = rows.filter({ hasText: "/kim-hook" });
      await expect(active.getAttribute("data-state")).resolves.toBe("active");
      await expect(active.textContent()).resolves.toContain("delivering");
      const failing = rows.filter({ hasText: "/kim-failing-hook" });
      await expect(failing.getAttribute("data-state")).resolves.toBe("failing");
      await expect(failing.locator('td[data-label="Health"]').textContent()).resolves.toMatch(/^failing: retries ran out.*last error: HTTP 500$/);
      expect(await seriousA11yViolations(page)).toEqual([]);
    });
    await withSignedIn(managerKey, async (page) => {
      await page.goto(`${stack.portalUrl}/keys`);
      await expect(page.getByText("This key lacks webhooks:manage").count()).resolves.toBe(1);
    });
  });

  it("fits a 360 px phone", async () => {
    await withSignedIn(
      managerKey,
      async (page) => {
        await page.goto(`${stack.portalUrl}/keys`);
        expect(await horizontalOverflow(page)).toBe(0);
        expect(await seriousA11yViolations(page)).toEqual([]);
        // Each key is a card: its Revoke button in view, not scrolled off to the side.
        const revoke = await page.getByRole("button", { name: /^Revoke key/ }).first().boundingBox();
        expect(revoke!.x + revoke!.width).toBeLessThanOrEqual(360);
      },
      { width: 360, height: 740 },
    );
  });
});
