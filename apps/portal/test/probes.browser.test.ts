import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { io } from "socket.io-client";
import { createCatalog } from "@probestream/db";
import { createApiKey, loadFixtures, postResults, type TestProbe } from "@probestream/testkit";
import { ADMIN_TOKEN, horizontalOverflow, launchChromium, seriousA11yViolations, startPortalStack, type PortalStack } from "./portal-harness.js";

/** A public measurement fed without an assignment, as imported ones are. */
const PUBLIC_MSM_ID = 9201;
const SESSION_COOKIE = "probestream_key";

const FLEET = [
  { prb_id: 6201, country_code: "NL", asn_v4: 3333, prefix_v4: "193.0.0.0/21", address_v4: "193.0.0.10", latitude: 52.37, longitude: 4.9, description: "Amsterdam office", tags: ["office"] },
  { prb_id: 6202, country_code: "US", asn_v4: 701, prefix_v4: "198.51.100.0/24", address_v4: "198.51.100.7", latitude: 40.7, longitude: -74, description: "New York" },
  { prb_id: 6203, country_code: "AU", asn_v4: 1221, prefix_v4: "203.0.113.0/24", address_v4: "203.0.113.9", latitude: -33.9, longitude: 151.2, description: "Sydney", is_anchor: true },
];
const [AMSTERDAM, NEW_YORK] = FLEET as [(typeof FLEET)[number], (typeof FLEET)[number]];

let stack: PortalStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let ownerKey: string;
let privateMsmId: number;
const probes = new Map<number, TestProbe>();

function pingResult(prbId: number, msmId: number, timestamp: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const fixture = loadFixtures().find((f) => f.file === "ping/ping-001.json");
  if (!fixture) throw new Error("fixture ping/ping-001.json is missing");
  return { ...fixture.result, prb_id: prbId, msm_id: msmId, timestamp, ...extra };
}

async function gatewayApi(method: string, path: string, key?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.platform.gatewayUrl}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Key ${key}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The probe's controller session, as a probe agent opens it: the platform records a connect, and a disconnect when it closes. */
function openSession(prbId: number) {
  const probe = probes.get(prbId)!;
  return io(stack.platform.ingestUrl, { path: "/probe/socket.io", transports: ["websocket"], auth: { prb_id: prbId, secret: probe.secret, firmware: 5020 } });
}

beforeAll(async () => {
  stack = await startPortalStack("probes", async (databaseUrl) => {
    const catalog = createCatalog(databaseUrl);
    try {
      await catalog.ensureMeasurements([{ id: PUBLIC_MSM_ID, type: "ping", description: "Probe page public ping", target: "k.root-servers.net" }]);
    } finally {
      await catalog.close();
    }
    ownerKey = (await createApiKey(databaseUrl, "owner", ["measurements:create", "results:read_private"])).key;
  });
  for (const registration of FLEET) {
    const res = await fetch(`${stack.platform.ingestUrl}/probe/register`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(registration),
    });
    const { prb_id, secret } = (await res.json()) as { prb_id: number; secret: string };
    probes.set(prb_id, { prbId: prb_id, secret, authorization: `Probe ${prb_id}:${secret}` });
  }

  // A private measurement on the Amsterdam probe, with a result from it.
  const created = await gatewayApi("POST", "/api/v2/measurements/", ownerKey, {
    definitions: [{ type: "ping", af: 4, target: "private.example.net", description: "Secret ping", is_public: false }],
    probes: [{ type: "probes", value: String(AMSTERDAM.prb_id), requested: 1 }],
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
  privateMsmId = (created.body.measurements as number[])[0]!;
  await until(async () => (await gatewayApi("GET", `/api/v2/probes/${AMSTERDAM.prb_id}/measurements/`, ownerKey)).body.count === 1, "the scheduler to assign the probe");

  const now = Math.floor(Date.now() / 1000);
  const amsterdam = probes.get(AMSTERDAM.prb_id)!;
  for (const [msmId, avg] of [[PUBLIC_MSM_ID, 12.5], [privateMsmId, 77.7]] as const) {
    const posted = await postResults(stack.platform.ingestUrl, amsterdam, [pingResult(AMSTERDAM.prb_id, msmId, now - 30, { avg, min: avg, max: avg })]);
    if (posted.body.stored !== 1) throw new Error(`post to ${msmId}: ${JSON.stringify(posted)}`);
  }

  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("the probe directory", () => {
  it("lists the registered probes and draws them on the world map", async () => {
    await page.goto(`${stack.portalUrl}/probes`);
    await expect(page.locator("h1").textContent()).resolves.toBe("Probes");
    await expect(page.locator('[data-testid="probe-count"]').getAttribute("data-count")).resolves.toBe("3");
    const ids = await page.locator('[data-testid="probe-row"]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-prb-id"))));
    expect(ids).toEqual(FLEET.map((p) => p.prb_id));

    const map = page.locator('[data-testid="probe-map"]');
    await map.locator('figure[data-land="drawn"]').waitFor({ timeout: 10_000 });
    await expect(map.locator("path").count()).resolves.toBeGreaterThanOrEqual(3);
    await expect(map.locator("circle[data-point-id]").count()).resolves.toBe(3);
    // Each point is a link to its probe, named for screen readers.
    const link = map.locator(`a[href="/probes/${AMSTERDAM.prb_id}"]`);
    await expect(link.getAttribute("aria-label")).resolves.toMatch(/Probe 6201, NL, AS3333: Never Connected/);
  });

  it("narrows the list with the filters, as GET parameters", async () => {
    await page.goto(`${stack.portalUrl}/probes`);
    await page.fill("#filter-country_code", "nl");
    await Promise.all([page.waitForURL(/country_code=nl/), page.click('form[aria-label="Filter probes"] button[type="submit"]')]);
    await expect(page.locator('[data-testid="probe-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-prb-id")))).resolves.toEqual([
      String(AMSTERDAM.prb_id),
    ]);
    await expect(page.locator('[data-testid="probe-map"] circle[data-point-id]').count()).resolves.toBe(1);

    await page.goto(`${stack.portalUrl}/probes?asn=701`);
    await expect(page.locator('[data-testid="probe-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-prb-id")))).resolves.toEqual([
      String(NEW_YORK.prb_id),
    ]);
    await page.goto(`${stack.portalUrl}/probes?tags=office`);
    await expect(page.locator('[data-testid="probe-count"]').getAttribute("data-count")).resolves.toBe("1");
    await page.goto(`${stack.portalUrl}/probes?status=1`);
    await expect(page.locator('[data-testid="probe-count"]').getAttribute("data-count")).resolves.toBe("0");
  });

  it("shows an invalid filter's error at its field", async () => {
    await page.goto(`${stack.portalUrl}/probes?country_code=NLD`);
    await expect(page.locator('[data-testid="fault-country_code"]').isVisible()).resolves.toBe(true);
    await expect(page.locator("#filter-country_code").getAttribute("aria-invalid")).resolves.toBe("true");
  });

  it("changes a probe's status and colour live as it connects and disconnects", async () => {
    await page.goto(`${stack.portalUrl}/probes`);
    await page.waitForSelector('[data-testid="probe-stream"][data-state="subscribed"]', { timeout: 15_000 });
    const row = page.locator(`[data-testid="probe-row"][data-prb-id="${NEW_YORK.prb_id}"]`);
    const dot = page.locator(`[data-testid="probe-map"] circle[data-point-id="${NEW_YORK.prb_id}"]`);
    await expect(row.getAttribute("data-status")).resolves.toBe("0");

    const session = openSession(NEW_YORK.prb_id);
    try {
      await page.waitForSelector(`[data-testid="probe-row"][data-prb-id="${NEW_YORK.prb_id}"][data-status="1"]`, { timeout: 10_000 });
      await expect(row.textContent()).resolves.toContain("Connected");
      await expect(dot.evaluate((c) => (c as SVGElement).style.fill)).resolves.toBe("var(--ok)");
    } finally {
      session.close();
    }
    await page.waitForSelector(`[data-testid="probe-row"][data-prb-id="${NEW_YORK.prb_id}"][data-status="2"]`, { timeout: 10_000 });
    await expect(dot.evaluate((c) => (c as SVGElement).style.fill)).resolves.toBe("var(--bad)");
  });

  it("has no serious accessibility violations and fits 360 px", async () => {
    await page.goto(`${stack.portalUrl}/probes`);
    await page.locator('figure[data-land="drawn"]').waitFor({ timeout: 10_000 });
    await expect(seriousA11yViolations(page)).resolves.toEqual([]);
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    await page.locator('figure[data-land="drawn"]').waitFor({ timeout: 10_000 });
    await expect(horizontalOverflow(page)).resolves.toBe(0);
    await expect(seriousA11yViolations(page)).resolves.toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});

describe("a probe's page", () => {
  it("shows the probe's details, its status history, its measurements and latest results", async () => {
    // A connection and a disconnection to show in the history.
    const session = openSession(AMSTERDAM.prb_id);
    await until(async () => ((await gatewayApi("GET", `/api/v2/probes/${AMSTERDAM.prb_id}/`)).body.status as { id: number }).id === 1, "the probe to connect");
    session.close();
    await until(async () => ((await gatewayApi("GET", `/api/v2/probes/${AMSTERDAM.prb_id}/`)).body.status as { id: number }).id === 2, "the probe to disconnect");

    await page.goto(`${stack.portalUrl}/probes/${AMSTERDAM.prb_id}`);
    await expect(page.locator("h1").textContent()).resolves.toBe(`Probe ${AMSTERDAM.prb_id}`);
    const facts = (await page.locator('[data-testid="probe-facts"]').textContent()) ?? "";
    for (const fact of ["AS3333", "193.0.0.0/21", "NL", "52.3700° N, 4.9000° E"]) expect(facts).toContain(fact);
    await expect(page.locator('[data-testid="probe-tags"]').textContent()).resolves.toContain("office");
    await expect(page.locator('[data-testid="probe-status"]').getAttribute("data-status")).resolves.toBe("2");
    await expect(page.locator('[data-testid="status-event"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-event")))).resolves.toEqual([
      "disconnect",
      "connect",
    ]);
    await page.locator(`figure[data-land="drawn"] circle[data-point-id="${AMSTERDAM.prb_id}"]`).waitFor({ timeout: 10_000 });

    await expect(page.locator(`[data-testid="probe-measurement"][data-msm-id="${PUBLIC_MSM_ID}"] a[href="/measurements/${PUBLIC_MSM_ID}"]`).count()).resolves.toBe(1);
    await expect(page.locator(`[data-testid="latest-result"][data-msm-id="${PUBLIC_MSM_ID}"]`).textContent()).resolves.toMatch(/avg 12\.5 ms/);
  });

  it("follows the probe's connections live", async () => {
    await page.goto(`${stack.portalUrl}/probes/${AMSTERDAM.prb_id}`);
    await page.waitForSelector('[data-testid="probe-stream"][data-state="subscribed"]', { timeout: 15_000 });
    const session = openSession(AMSTERDAM.prb_id);
    try {
      await page.waitForSelector('[data-testid="probe-status"][data-status="1"]', { timeout: 10_000 });
      await expect(page.locator('[data-testid="status-event"]').first().getAttribute("data-event")).resolves.toBe("connect");
    } finally {
      session.close();
    }
    await page.waitForSelector('[data-testid="probe-status"][data-status="2"]', { timeout: 10_000 });
  });

  it("shows a private measurement and its result to its owner only", async () => {
    await page.goto(`${stack.portalUrl}/probes/${AMSTERDAM.prb_id}`);
    await expect(page.locator(`[data-msm-id="${privateMsmId}"]`).count()).resolves.toBe(0);
    await expect(page.locator("main").textContent()).resolves.not.toContain("77.7");
    await expect(page.locator("main").textContent()).resolves.not.toContain("Secret ping");

    const owner = await browser.newContext();
    try {
      await owner.addCookies([{ name: SESSION_COOKIE, value: ownerKey, url: stack.portalUrl }]);
      const ownerPage = await owner.newPage();
      await ownerPage.goto(`${stack.portalUrl}/probes/${AMSTERDAM.prb_id}`);
      await expect(ownerPage.locator(`[data-testid="probe-measurement"][data-msm-id="${privateMsmId}"]`).textContent()).resolves.toContain("Secret ping");
      await expect(ownerPage.locator(`[data-testid="latest-result"][data-msm-id="${privateMsmId}"]`).textContent()).resolves.toMatch(/avg 77\.7 ms/);
    } finally {
      await owner.close();
    }
  });

  it("answers 404 for an unknown probe", async () => {
    expect((await page.goto(`${stack.portalUrl}/probes/999999`))?.status()).toBe(404);
    expect((await page.goto(`${stack.portalUrl}/probes/not-a-probe`))?.status()).toBe(404);
  });

  it("has no serious accessibility violations and fits 360 px", async () => {
    await page.goto(`${stack.portalUrl}/probes/${AMSTERDAM.prb_id}`);
    await page.locator('figure[data-land="drawn"]').waitFor({ timeout: 10_000 });
    await expect(seriousA11yViolations(page)).resolves.toEqual([]);
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    await page.locator('figure[data-land="drawn"]').waitFor({ timeout: 10_000 });
    await expect(horizontalOverflow(page)).resolves.toBe(0);
    await expect(seriousA11yViolations(page)).resolves.toEqual([]);
  });
});
