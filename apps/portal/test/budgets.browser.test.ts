import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Response } from "playwright-core";
import pg from "pg";
import { pingResult, postResults, registerProbe } from "@probestream/testkit";
import { ADMIN_TOKEN, horizontalOverflow, launchChromium, startPortalStack, type PortalStack } from "./portal-harness.js";

// The budgets: a first load of `/` and of a measurement page transfers at most 150 KB of
// JavaScript gzipped, and pages at 360 px do not scroll sideways. Figures are printed.
// The first load is what arrives before the load event: what the page needs to show itself and
// answer input. What it fetches after (the stream client, the chart library of its type, the map's
// land once the map is near the viewport) is printed beside it and held to its own bound.

const BUDGET_BYTES = 150 * 1024;
/** First load and the chunks fetched after it, together, without scrolling. */
const WITH_DEFERRED_BYTES = 250 * 1024;
const MSM_ID = 9501;
const PRB_ID = 6501;

let stack: PortalStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startPortalStack("portal_budgets", async (databaseUrl) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO measurements (id, type, description, target, is_public)
         SELECT id, 'ping', 'Budget ping ' || id, 'k.root-servers.net', true FROM generate_series($1::int, $1::int + 24) AS id`,
        [MSM_ID],
      );
    } finally {
      await client.end();
    }
  });
  const probe = await registerProbe(stack.platform.ingestUrl, ADMIN_TOKEN, PRB_ID);
  const now = Math.floor(Date.now() / 1000);
  await postResults(stack.platform.ingestUrl, probe, Array.from({ length: 20 }, (_, i) => pingResult(PRB_ID, MSM_ID, now - 60 * i)));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

interface ScriptFigures {
  scripts: number;
  /** The scripts' bodies gzipped here (level 6): what any gzip-serving host transfers. */
  gzipBytes: number;
  /** What Chromium received for their bodies (the portal's own compression). */
  transferBytes: number;
  rawBytes: number;
  /** Of gzipBytes, the scripts that arrived after the load event (deferred and on-demand chunks). */
  afterLoadGzipBytes: number;
  /** Each script's gzipped size, largest first: where the weight is. */
  largest: string[];
}

/** Loads `path` in a fresh browser (empty cache) and measures every script it fetched. */
async function scriptFigures(path: string): Promise<ScriptFigures> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    const scripts: { response: Response; afterLoad: boolean }[] = [];
    let loaded = false;
    page.on("response", (response) => {
      if (response.request().resourceType() === "script") scripts.push({ response, afterLoad: loaded });
    });
    await page.goto(`${stack.portalUrl}${path}`, { waitUntil: "load" });
    loaded = true;
    // Chunks loaded just after load (hydration, on-demand imports) count as first load too.
    await page.waitForTimeout(2_000);
    const figures: ScriptFigures = { scripts: 0, gzipBytes: 0, transferBytes: 0, rawBytes: 0, afterLoadGzipBytes: 0, largest: [] };
    const each: { name: string; gzip: number }[] = [];
    for (const { response, afterLoad } of scripts) {
      const body = await response.body();
      const gzip = gzipSync(body).length;
      figures.scripts += 1;
      figures.rawBytes += body.length;
      figures.gzipBytes += gzip;
      if (afterLoad) figures.afterLoadGzipBytes += gzip;
      figures.transferBytes += (await response.request().sizes()).responseBodySize;
      each.push({ name: new URL(response.url()).pathname.split("/").pop() ?? "", gzip });
    }
    figures.largest = each.sort((a, b) => b.gzip - a.gzip).slice(0, 6).map((s) => `${s.name} ${kb(s.gzip)}`);
    return figures;
  } finally {
    await context.close();
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

describe("budgets", () => {
  it.each([
    ["the measurement list", "/"],
    ["a measurement page", `/measurements/${MSM_ID}`],
  ])("first load of %s transfers at most 150 KB of JavaScript gzipped", async (_name, path) => {
    const f = await scriptFigures(path);
    console.log(
      `${path}: ${f.scripts} scripts, ${kb(f.gzipBytes - f.afterLoadGzipBytes)} gzipped before the load event (budget ${kb(BUDGET_BYTES)}), ${kb(f.gzipBytes)} with what follows it (${kb(f.afterLoadGzipBytes)} after), ${kb(f.transferBytes)} transferred, ${kb(f.rawBytes)} uncompressed; largest: ${f.largest.join(", ")}`,
    );
    expect(f.scripts).toBeGreaterThan(0);
    expect(f.gzipBytes - f.afterLoadGzipBytes).toBeLessThanOrEqual(BUDGET_BYTES);
    expect(f.gzipBytes).toBeLessThanOrEqual(WITH_DEFERRED_BYTES);
  });

  it("has no horizontal scroll at 360 px", async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    try {
      const page = await context.newPage();
      for (const path of ["/", `/measurements/${MSM_ID}`, "/keys", "/session", "/docs", "/docs/streaming"]) {
        await page.goto(`${stack.portalUrl}${path}`);
        const overflow = await horizontalOverflow(page);
        console.log(`${path} at 360 px: ${overflow} px of horizontal overflow`);
        expect(overflow, path).toBe(0);
      }
    } finally {
      await context.close();
    }
  });
});
