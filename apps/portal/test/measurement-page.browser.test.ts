import { readFile } from "node:fs/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createCatalog } from "@probestream/db";
import { MeasurementStatusId } from "@probestream/types/status";
import { createApiKey, loadFixtures, pingResult, postResults, registerProbe, type TestProbe } from "@probestream/testkit";
import { ADMIN_TOKEN, horizontalOverflow, launchChromium, seriousA11yViolations, startPortalStack, type PortalStack } from "./portal-harness.js";

const TYPES = ["ping", "traceroute", "dns", "sslcert", "ntp", "http"] as const;
type FixtureType = (typeof TYPES)[number];
/** One measurement per type, each fed real fixtures. */
const MSM: Record<FixtureType, number> = { ping: 9301, traceroute: 9302, dns: 9303, sslcert: 9304, ntp: 9305, http: 9306 };
const REPLAY_MSM = 9310;
const BUSY_MSM = 9311;
const PRIVATE_MSM = 9312;
const STOPPED_MSM = 9313;
const ALERT_MSM = 9314;
const PROBE_IDS = [7101, 7102, 7103, 7104, 7105];
/** Where the probes are (lat, lon), for the latency map. */
const PLACES: [number, number][] = [
  [52.37, 4.9],
  [40.71, -74.0],
  [-33.87, 151.21],
  [35.68, 139.69],
  [-23.55, -46.63],
];
/** The fixtures each probe sends, one per probe (dns-001's answer decodes to as250.net A 194.150.168.100). */
const FIXTURE_FILES: Record<FixtureType, string[]> = {
  ping: ["ping/ping-001.json", "ping/ping-002.json", "ping/ping-003.json", "ping/ping-004.json", "ping/ping-005.json"],
  traceroute: ["traceroute/traceroute-001.json", "traceroute/traceroute-002.json", "traceroute/traceroute-003.json"],
  dns: ["dns/dns-001.json", "dns/dns-007.json", "dns/dns-011.json"],
  sslcert: ["sslcert/sslcert-011.json", "sslcert/sslcert-005.json", "sslcert/sslcert-014.json"],
  ntp: ["ntp/ntp-001.json", "ntp/ntp-002.json", "ntp/ntp-003.json"],
  http: ["http/http-009.json", "http/http-001.json", "http/http-003.json"],
};

let stack: PortalStack;
let browser: Browser;
let probes: TestProbe[];
let ownerKey: string;
const now = Math.floor(Date.now() / 1000);
/** Browser tests on a machine shared with other work: generous per test. */
const TEST_MS = 60_000;

function fixture(file: string): Record<string, unknown> {
  const found = loadFixtures().find((f) => f.file === file);
  if (!found) throw new Error(`fixture ${file} is missing`);
  return found.result;
}

/** The probe's result of the measurement at that time: the fixture's body under test ids. */
function asPosted(file: string, prbId: number, msmId: number, timestamp: number): Record<string, unknown> {
  return { ...fixture(file), prb_id: prbId, msm_id: msmId, timestamp };
}

async function sql(text: string, values: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: stack.db.url });
  await client.connect();
  try {
    await client.query(text, values);
  } finally {
    await client.end();
  }
}

async function newPage(width = 1280): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  return { context, page: await context.newPage() };
}

async function expectUsable(page: Page): Promise<void> {
  expect(await seriousA11yViolations(page)).toEqual([]);
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await seriousA11yViolations(page)).toEqual([]);
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 360, height: 800 });
  expect(await horizontalOverflow(page)).toBe(0);
}

beforeAll(async () => {
  stack = await startPortalStack("msmpage", async (databaseUrl) => {
    const catalog = createCatalog(databaseUrl);
    try {
      await catalog.ensureMeasurements([
        ...TYPES.map((type) => ({ id: MSM[type], type, description: `Fixtures of ${type}`, target: "example.net" })),
        { id: REPLAY_MSM, type: "ping", description: "Replay test", target: "example.net" },
        { id: BUSY_MSM, type: "ping", description: "Busy measurement", target: "example.net" },
        { id: PRIVATE_MSM, type: "ping", description: "Someone's private ping", target: "secret.example.net" },
        { id: STOPPED_MSM, type: "ping", description: "A stopped ping", target: "example.net" },
        { id: ALERT_MSM, type: "ping", description: "Health test", target: "example.net" },
      ]);
    } finally {
      await catalog.close();
    }
    ownerKey = (await createApiKey(databaseUrl, "owner", ["results:read_private"])).key;
  });
  await sql("UPDATE measurements SET is_public = false, owner_id = (SELECT id FROM users WHERE name = 'owner') WHERE id = $1", [PRIVATE_MSM]);
  await sql(`UPDATE measurements SET status = ${MeasurementStatusId.Stopped} WHERE id = $1`, [STOPPED_MSM]);
  probes = [];
  for (const [i, prbId] of PROBE_IDS.entries()) {
    probes.push(await registerProbe(stack.platform.ingestUrl, ADMIN_TOKEN, prbId));
    const [lat, lon] = PLACES[i] ?? [0, 0];
    await sql("UPDATE probes SET latitude = $2, longitude = $3, country_code = 'NL' WHERE id = $1", [prbId, lat, lon]);
  }
  for (const type of TYPES) {
    for (const [i, probe] of probes.entries()) {
      const files = FIXTURE_FILES[type];
      const file = files[i % files.length] ?? "";
      const posted = await postResults(stack.platform.ingestUrl, probe, [asPosted(file, probe.prbId, MSM[type], now - 600 + i)]);
      expect(posted.status, `${file}: ${JSON.stringify(posted.body)}`).toBe(200);
    }
  }
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function openMeasurement(page: Page, msmId: number): Promise<void> {
  const response = await page.goto(`${stack.portalUrl}/measurements/${msmId}`);
  expect(response?.status()).toBe(200);
}

describe("the measurement page, per result type", () => {
  it("ping: per-probe lines, min/avg/max/loss and a row per probe; the latency map places the probes", async () => {
    const { context, page } = await newPage();
    const scripts = new Map<string, Promise<number>>();
    page.on("response", (response) => {
      if (response.request().resourceType() === "script") scripts.set(response.url(), response.request().sizes().then((sizes) => sizes.responseBodySize));
    });
    await openMeasurement(page, MSM.ping);
    await page.waitForSelector('[data-testid="ping-view"] .uplot canvas');
    await page.waitForLoadState("networkidle");
    // First load: the scripts the page's HTML names; the chart library and the map's land load after.
    const html = await (await page.request.get(`${stack.portalUrl}/measurements/${MSM.ping}`)).text();
    const named = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => new URL(m[1] ?? "", stack.portalUrl).href);
    const firstLoad = (await Promise.all(named.map((url) => scripts.get(url) ?? Promise.resolve(0)))).reduce((a, b) => a + b, 0);
    const all = (await Promise.all(scripts.values())).reduce((a, b) => a + b, 0);
    console.log(`ping page JavaScript as sent (compressed): first load ${(firstLoad / 1024).toFixed(1)} KiB in ${named.length} files; ${(all / 1024).toFixed(1)} KiB with what loads after`);
    expect(firstLoad).toBeLessThanOrEqual(150 * 1024);
    await expect(page.locator('[data-testid="ping-probe"]').count()).resolves.toBe(PROBE_IDS.length);
    await expect(page.locator('[data-testid="ping-avg"]').textContent()).resolves.toMatch(/[\d.]+ ms/);
    await expect(page.locator('[data-testid="ping-loss"]').textContent()).resolves.toMatch(/\d+%/);
    await page.waitForSelector('[data-testid="ping-view"] .uplot canvas');
    await page.waitForSelector(`[data-testid="latency-map"][data-points="${PROBE_IDS.length}"]`, { timeout: 10_000 });
    await expect(page.locator('[data-testid="latency-map"] [data-point-id]').count()).resolves.toBe(PROBE_IDS.length);
    await expectUsable(page);
    await context.close();
  }, TEST_MS);

  it("traceroute: a hop table per probe and the paths merged into one graph", async () => {
    const { context, page } = await newPage();
    await openMeasurement(page, MSM.traceroute);
    await page.waitForSelector('[data-testid="path-graph"]');
    await expect(page.locator('[data-testid="path-node"][data-kind="probe"]').count()).resolves.toBe(PROBE_IDS.length);
    await expect(page.locator('[data-testid="path-node"][data-kind="destination"]').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('[data-testid="hop-table"]').count()).resolves.toBe(PROBE_IDS.length);
    await expect(page.locator('[data-testid="hop-row"]').count()).resolves.toBeGreaterThan(PROBE_IDS.length);
    await expectUsable(page);
    await context.close();
  }, TEST_MS);

  it("dns: the abuf decoded into records, rcode and response time", async () => {
    const { context, page } = await newPage();
    await openMeasurement(page, MSM.dns);
    await page.waitForSelector('[data-testid="dns-view"]');
    await expect(page.locator('[data-testid="dns-response"][data-rcode="NOERROR"]').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('[data-testid="dns-records"]').first().textContent()).resolves.toBeTruthy();
    await expect(page.locator('[data-testid="dns-view"]').textContent()).resolves.toContain("as250.net 3600 A 194.150.168.100");
    await expectUsable(page);
    await context.close();
  }, TEST_MS);

  it("sslcert: the chain decoded with fingerprints, expiry highlighted", async () => {
    const { context, page } = await newPage();
    await openMeasurement(page, MSM.sslcert);
    await page.waitForSelector('[data-testid="cert-chain"] [data-testid="cert"]');
    // The fixtures' certificates ended years ago.
    await expect(page.locator('[data-testid="cert"][data-expiry="expired"]').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('[data-testid="sslcert-view"]').textContent()).resolves.toContain("CN=*.pretical.ee");
    await page.waitForFunction(() => /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(document.querySelector('[data-testid="cert-fingerprint"]')?.textContent ?? ""));
    await expectUsable(page);
    await context.close();
  }, TEST_MS);

  it("ntp: offset and delay over time, the latest per probe", async () => {
    const { context, page } = await newPage();
    await openMeasurement(page, MSM.ntp);
    await page.waitForSelector('[data-testid="ntp-view"]');
    await expect(page.locator('[data-testid="ntp-probe"]').count()).resolves.toBe(PROBE_IDS.length);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="ntp-view"] .uplot').length === 2);
    await expect(page.locator('[data-testid="ntp-view"]').textContent()).resolves.toMatch(/-?[\d.]+ ms/);
    await expectUsable(page);
    await context.close();
  }, TEST_MS);

  it("http: status, timings and sizes", async () => {
    const { context, page } = await newPage();
    await openMeasurement(page, MSM.http);
    await page.waitForSelector('[data-testid="http-view"]');
    await expect(page.locator('[data-testid="http-request"][data-status="200"]').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('[data-testid="http-view"]').textContent()).resolves.toMatch(/39\.6 KiB/);
    await expectUsable(page);
    await context.close();
  }, TEST_MS);
});

describe("access and status", () => {
  it("answers 403 for a private measurement to an anonymous visitor, and shows it to its owner", async () => {
    const { context, page } = await newPage();
    const anonymous = await page.goto(`${stack.portalUrl}/measurements/${PRIVATE_MSM}`);
    expect(anonymous?.status()).toBe(403);
    await expect(page.locator("body").textContent()).resolves.not.toContain("Someone's private ping");
    await expectUsable(page);

    await context.addCookies([{ name: "probestream_key", value: ownerKey, url: stack.portalUrl }]);
    const owned = await page.goto(`${stack.portalUrl}/measurements/${PRIVATE_MSM}`);
    expect(owned?.status()).toBe(200);
    await expect(page.locator("body").textContent()).resolves.toContain("Someone's private ping");
    // The stream takes the owner's key: a live result of the private measurement arrives.
    await page.waitForSelector('[data-testid="connection"][data-state="subscribed"]', { timeout: 15_000 });
    await sql("INSERT INTO measurement_probes (msm_id, prb_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", [PRIVATE_MSM, PROBE_IDS[0]]);
    const timestamp = Math.floor(Date.now() / 1000);
    const posted = await postResults(stack.platform.ingestUrl, probes[0]!, [pingResult(PROBE_IDS[0]!, PRIVATE_MSM, timestamp)]);
    expect(posted.body.stored).toBe(1);
    await page.waitForSelector(`[data-testid="result-row"][data-timestamp="${timestamp}"]`, { timeout: 10_000 });
    await context.close();
  }, TEST_MS);

  it("shows the measurement's health live: the global alert, alerting probes highlighted in the table and on the map", async () => {
    const { context, page } = await newPage();
    const at = Math.floor(Date.now() / 1000) - 60;
    for (const probe of probes.slice(0, 2)) {
      expect((await postResults(stack.platform.ingestUrl, probe, [pingResult(probe.prbId, ALERT_MSM, at)])).status).toBe(200);
    }
    await openMeasurement(page, ALERT_MSM);
    await page.waitForSelector('[data-testid="health"][data-global-alert="false"][data-alerting="0"]');
    await page.waitForSelector('[data-testid="connection"][data-state="subscribed"]', { timeout: 15_000 });
    await page.waitForSelector('[data-testid="latency-map"][data-points="2"]', { timeout: 10_000 });

    // Probe 7101 loses every packet: the alert stream turns the global alert on, live.
    const lost = pingResult(PROBE_IDS[0]!, ALERT_MSM, at + 30, { rcvd: 0, min: -1, avg: -1, max: -1, result: [{ x: "*" }, { x: "*" }, { x: "*" }] });
    expect((await postResults(stack.platform.ingestUrl, probes[0]!, [lost])).status).toBe(200);
    await page.waitForSelector('[data-testid="health"][data-global-alert="true"][data-alerting="1"]', { timeout: 10_000 });
    await expect(page.locator('[data-testid="health"]').textContent()).resolves.toContain(`${PROBE_IDS[0]} (loss)`);
    await page.waitForSelector(`[data-testid="result-row"][data-prb-id="${PROBE_IDS[0]}"][data-alert="true"]`);
    await expect(page.locator(`[data-testid="result-row"][data-prb-id="${PROBE_IDS[1]}"][data-alert="true"]`).count()).resolves.toBe(0);
    await page.waitForSelector(`[data-testid="latency-map"] circle[data-point-id="${PROBE_IDS[0]}"][data-alert="true"]`);
    await expectUsable(page);

    // It answers again: the alert clears.
    await page.setViewportSize({ width: 1280, height: 900 });
    expect((await postResults(stack.platform.ingestUrl, probes[0]!, [pingResult(PROBE_IDS[0]!, ALERT_MSM, at + 60)])).status).toBe(200);
    await page.waitForSelector('[data-testid="health"][data-global-alert="false"][data-alerting="0"]', { timeout: 10_000 });
    await context.close();
  }, TEST_MS);

  it("does not show a stopped measurement as live, and says so", async () => {
    const { context, page } = await newPage();
    await openMeasurement(page, STOPPED_MSM);
    await expect(page.locator('[data-testid="connection"]').getAttribute("data-state")).resolves.toBe("idle");
    await expect(page.locator('[data-testid="status-notice"]').textContent()).resolves.toContain("no more results will come");
    await context.close();
  }, TEST_MS);
});

describe("replay and download", () => {
  it("replays a known history in timestamp order at the chosen speed, then goes on live", async () => {
    const start = Math.floor((now - 900) / 60) * 60;
    const history = Array.from({ length: 10 }, (_, i) => ({ probe: probes[i % probes.length]!, timestamp: start + 2 * i }));
    for (const { probe, timestamp } of history) {
      const posted = await postResults(stack.platform.ingestUrl, probe, [pingResult(probe.prbId, REPLAY_MSM, timestamp)]);
      expect(posted.body.stored).toBe(1);
    }
    const { context, page } = await newPage();
    await openMeasurement(page, REPLAY_MSM);
    await page.waitForSelector('[data-testid="connection"][data-state="subscribed"]', { timeout: 15_000 });
    const startInput = new Date(start * 1000).toISOString().slice(0, 16);
    await page.fill('[data-testid="replay-form"] input[name="start"]', startInput);
    await page.selectOption('[data-testid="replay-form"] select[name="speed"]', "10");
    await page.click('[data-testid="replay-form"] button[type="submit"]');

    // 18 s of history at 10×: about 1.8 s, seen arriving a few at a time.
    const seen = new Set<number>();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      seen.add(Number(await page.locator('[data-testid="live-results"]').getAttribute("data-received")));
      if ((await page.locator('[data-testid="connection"]').getAttribute("data-state")) === "subscribed" && seen.has(history.length)) break;
      await page.waitForTimeout(100);
    }
    expect(seen.has(history.length)).toBe(true);
    expect([...seen].filter((n) => n > 0 && n < history.length).length).toBeGreaterThan(1);
    await expect(page.locator('[data-testid="connection"]').getAttribute("data-state")).resolves.toBe("subscribed");
    // Newest first on the page: arrival order was timestamp order.
    const shown = await page.locator('[data-testid="result-row"]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-timestamp"))));
    expect(shown).toEqual(history.map((h) => h.timestamp).reverse());

    const liveTimestamp = Math.floor(Date.now() / 1000);
    await postResults(stack.platform.ingestUrl, probes[0]!, [pingResult(probes[0]!.prbId, REPLAY_MSM, liveTimestamp)]);
    await page.waitForSelector(`[data-testid="result-row"][data-timestamp="${liveTimestamp}"]`, { timeout: 10_000 });
    await expectUsable(page);
    await context.close();
  }, TEST_MS);

  it("downloads the results of a time range and chosen probes as a file", async () => {
    const { context, page } = await newPage();
    await openMeasurement(page, MSM.ping);
    const chosen = [PROBE_IDS[0], PROBE_IDS[2]];
    await page.fill('[data-testid="download-form"] input[name="probe_ids"]', chosen.join(", "));
    await page.fill('[data-testid="download-form"] input[name="start"]', new Date((now - 3600) * 1000).toISOString().slice(0, 16));
    const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="download-form"] button[type="submit"]')]);
    expect(download.suggestedFilename()).toMatch(/^measurement-9301-\d+-\.json$/);
    const saved = JSON.parse(await readFile((await download.path()) ?? "", "utf8")) as { prb_id: number }[];
    expect(saved.map((r) => r.prb_id).sort()).toEqual(chosen);

    const lines = await page.request.get(`${stack.portalUrl}/measurements/${MSM.ping}/download?format=txt`);
    expect(lines.headers()["content-disposition"]).toBe(`attachment; filename="measurement-${MSM.ping}.txt"`);
    expect((await lines.text()).trim().split("\n")).toHaveLength(PROBE_IDS.length);
    const refused = await page.request.get(`${stack.portalUrl}/measurements/${PRIVATE_MSM}/download`);
    expect(refused.status()).toBe(403);
    await context.close();
  }, TEST_MS);
});

describe("budget", () => {
  it("holds 10,000 results of a busy measurement in bounded memory while rendering 500 results/s", async () => {
    const RATE = 500;
    const TOTAL = 10_000;
    const TICK_MS = 250;
    const perProbe = RATE / (1000 / TICK_MS) / probes.length;
    const { context, page } = await newPage();
    await openMeasurement(page, BUSY_MSM);
    await page.waitForSelector('[data-testid="connection"][data-state="subscribed"]', { timeout: 15_000 });
    const cdp = await context.newCDPSession(page);
    const heap = async (): Promise<number> => {
      await cdp.send("HeapProfiler.collectGarbage");
      return (await cdp.send("Runtime.getHeapUsage")).usedSize;
    };
    const received = async () => Number(await page.locator('[data-testid="live-results"]').getAttribute("data-received"));
    await page.evaluate(() => {
      const counter = window as unknown as { framesDrawn: number };
      counter.framesDrawn = 0;
      const tick = () => {
        counter.framesDrawn += 1;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const frames = () => page.evaluate(() => (window as unknown as { framesDrawn: number }).framesDrawn);

    // The probes post as real ones do: each its own batch, every tick, timestamps a second apart.
    const first = now - 3 * 3600;
    const posting = (async () => {
      const started = Date.now();
      const inFlight: Promise<unknown>[] = [];
      for (let tick = 0; tick * perProbe * probes.length < TOTAL; tick++) {
        const due = started + tick * TICK_MS;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        inFlight.push(
          Promise.all(
            probes.map((probe, p) =>
              postResults(
                stack.platform.ingestUrl,
                probe,
                Array.from({ length: perProbe }, (_, k) => pingResult(probe.prbId, BUSY_MSM, first + tick * perProbe + k, { avg: 10 + p * 20 + (k % 7) })),
              ),
            ),
          ),
        );
        // Batches overlap, as several probes' posts do, but a stalled ingest is not flooded.
        if (inFlight.length > 8) await inFlight.shift();
      }
      await Promise.all(inFlight);
      return { seconds: (Date.now() - started) / 1000, endedAt: Date.now() };
    })();

    const framesAtStart = await frames();
    const startedAt = Date.now();
    let heapAt2k = 0;
    while ((await received()) < 2_000) await page.waitForTimeout(50);
    heapAt2k = await heap();
    while ((await received()) < TOTAL) {
      if (Date.now() - startedAt > 90_000) throw new Error(`only ${await received()} results arrived in 90 s`);
      await page.waitForTimeout(100);
    }
    const shownAt = Date.now();
    const seconds = (shownAt - startedAt) / 1000;
    const fps = (await frames()) - framesAtStart;
    const posted = await posting;
    const heapAt10k = await heap();
    const figures = {
      postedPerSecond: Math.round(TOTAL / posted.seconds),
      shownPerSecond: Math.round(TOTAL / seconds),
      /** How long after the last post the page showed the last result. */
      lagMs: Math.max(0, shownAt - posted.endedAt),
      framesPerSecond: Math.round(fps / seconds),
      heapAt2kMiB: +(heapAt2k / 2 ** 20).toFixed(1),
      heapAt10kMiB: +(heapAt10k / 2 ** 20).toFixed(1),
      rowsInPage: await page.locator('[data-testid="result-row"]').count(),
    };
    console.log("live page budget:", JSON.stringify(figures));
    expect(figures.postedPerSecond).toBeGreaterThanOrEqual(RATE * 0.9);
    // The page keeps up: the last result is on it within moments of its post.
    expect(figures.lagMs).toBeLessThan(2_000);
    // Older rows leave the page: 8,000 more results cost no more than a few MiB.
    expect(heapAt10k - heapAt2k).toBeLessThan(4 * 2 ** 20);
    expect(figures.framesPerSecond).toBeGreaterThanOrEqual(20);
    await expect(page.locator('[data-testid="ping-probe"]').count()).resolves.toBe(probes.length);
    await context.close();
  }, 150_000);
});
