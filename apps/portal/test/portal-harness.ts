import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { startPlatform, type Platform, type PlatformOptions } from "@probestream/standalone";
import { createTestDatabase, freePort, type TestDatabase } from "@probestream/testkit";

const require = createRequire(import.meta.url);

export const PORTAL_DIR = fileURLToPath(new URL("..", import.meta.url));
/** The production build `next start` serves (next.config.ts reads the same variable). */
const DIST_DIR = process.env.PORTAL_DIST_DIR ?? ".next";
export const ADMIN_TOKEN = "portal-test-admin";
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

/** Debian's Chromium, never a downloaded browser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** A running portal (`next start` of the production build) in front of a platform on its own database. */
export interface PortalStack {
  db: TestDatabase;
  platform: Platform;
  portalUrl: string;
  stop(): Promise<void>;
}

/**
 * A throwaway database, ingest + gateway on it, and the portal pointing at both. `prepare` runs on
 * the database before the apps start (measurements, keys).
 */
export async function startPortalStack(
  name: string,
  prepare?: (databaseUrl: string) => Promise<void>,
  platformOptions: Partial<PlatformOptions> = {},
): Promise<PortalStack> {
  const db = await createTestDatabase(name);
  await prepare?.(db.url);
  const platform = await startPlatform({
    databaseUrl: db.url,
    host: "127.0.0.1",
    gatewayPort: 0,
    ingestPort: 0,
    ingestAdminToken: ADMIN_TOKEN,
    ...platformOptions,
  });
  const port = await freePort();
  const portalUrl = `http://127.0.0.1:${port}`;
  let portal: ChildProcess | undefined;
  try {
    portal = await startPortal(port, {
      DATABASE_URL: db.url,
      GATEWAY_PUBLIC_URL: platform.gatewayUrl,
      GATEWAY_INTERNAL_URL: platform.gatewayUrl,
    });
  } catch (err) {
    await platform.close();
    await db.drop();
    throw err;
  }
  return {
    db,
    platform,
    portalUrl,
    async stop() {
      await stopPortal(portal);
      await platform.close();
      await db.drop();
    },
  };
}

/** `next start` serves the production build, which the root `npm test` makes first. */
async function startPortal(port: number, env: Record<string, string>): Promise<ChildProcess> {
  if (!existsSync(`${PORTAL_DIR}/${DIST_DIR}/BUILD_ID`)) {
    throw new Error("apps/portal has no production build: run `npx turbo run build` (or `next build` in apps/portal) first");
  }
  const nextBin = require.resolve("next/dist/bin/next");
  const child = spawn(process.execPath, [nextBin, "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: PORTAL_DIR,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stopPortal(child);
  throw new Error(`portal did not answer within 60 s:\n${output}`);
}

function stopPortal(portal: ChildProcess | undefined): Promise<void> {
  if (!portal || portal.exitCode !== null || portal.pid === undefined) return Promise.resolve();
  const exited = new Promise<void>((resolve) => portal.once("exit", () => resolve()));
  // The whole group: whatever next start forked goes with it.
  process.kill(-portal.pid, "SIGTERM");
  return exited;
}

/** An axe-core violation as the page reported it. */
export interface A11yViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** Runs axe-core in the page; returns the serious and critical violations (an empty list passes). */
export async function seriousA11yViolations(page: Page): Promise<A11yViolation[]> {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const { violations } = await axe.run();
    return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** How far the page scrolls sideways at its current viewport (0: it fits, as it must at 360 px). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
