import { it } from "vitest";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";
import { createCatalog } from "@probestream/db";
import { startPlatform } from "@probestream/standalone";
import { createTestDatabase, loadFixtures, postResults, registerProbe } from "@probestream/testkit";

it("screenshots", async () => {
  const db = await createTestDatabase("portal_shot");
  const c = createCatalog(db.url);
  const types = ["ping", "traceroute", "dns", "sslcert", "ntp", "http"];
  await c.ensureMeasurements(types.map((t, i) => ({ id: 5000 + i, type: t, description: `${t} sample`, target: "example.net" })));
  await c.close();
  const platform = await startPlatform({ databaseUrl: db.url, host: "127.0.0.1", gatewayPort: 0, ingestPort: 0, ingestAdminToken: "x" });
  const fixtures = loadFixtures();
  const now = Math.floor(Date.now() / 1000);
  for (const [i, t] of types.entries()) {
    const own = fixtures.filter((f) => f.type === t);
    for (const [j, f] of own.entries()) {
      const probe = await registerProbe(platform.ingestUrl, "x", 100 + j + i * 100);
      const r = await postResults(platform.ingestUrl, probe, [{ ...f.result, prb_id: probe.prbId, msm_id: 5000 + i, timestamp: now - 600 + j * 30 }]);
      if (r.status !== 200 || r.body.stored !== 1) console.log(t, f.file, JSON.stringify(r.body));
    }
  }
  const next = spawn(process.execPath, [createRequire(import.meta.url).resolve("next/dist/bin/next"), "start", "-p", "3918", "-H", "127.0.0.1"], {
    cwd: "/work/main/apps/portal", env: { ...process.env, DATABASE_URL: db.url, GATEWAY_PUBLIC_URL: platform.gatewayUrl }, stdio: "inherit",
  });
  await new Promise((r) => setTimeout(r, 3000));
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto("http://127.0.0.1:3918/");
  await page.screenshot({ path: "/tmp/portal-vt/home.png", fullPage: true });
  for (const [i, t] of types.entries()) {
    await page.goto(`http://127.0.0.1:3918/measurements/${5000 + i}`);
    await page.waitForSelector('[data-stored="loaded"]');
    await page.waitForTimeout(300);
    const rows = await page.locator('[data-testid="result-row"] td:nth-child(3)').allTextContents();
    console.log(t, rows);
    if (t === "ping" || t === "traceroute") await page.screenshot({ path: `/tmp/portal-vt/${t}.png`, fullPage: true });
  }
  await browser.close();
  next.kill();
  await platform.close();
  await db.drop();
}, 120_000);
