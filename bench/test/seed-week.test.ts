import { expect, it } from "vitest";
import { runSeedWeek, SMOKE } from "../seed-week.js";

// The soak benchmark's smoke run (reduced counts, about a minute): the counts must add up.
it("seed week (smoke): created = listed, acknowledged = stored = streamed to each matching subscriber, no errors", async () => {
  const report = await runSeedWeek({ ...SMOKE, log: () => {} });
  const failures = [...report.errors].map(([kind, n]) => `${kind} ×${n}`);
  expect(failures, report.lines.join("\n")).toEqual([]);
  // Anchoring measurements and at least some of the users' (a slow box creates fewer within the run).
  expect(report.created).toBeGreaterThan(SMOKE.anchors);
  expect(report.listed).toBe(report.created);
  expect(report.listedMatchesCreated).toBe(true);
  expect(report.stored).toBeGreaterThan(0);
  expect(report.acknowledged).toBe(report.stored);
  const everything = report.subscribers.find((s) => s.filter.msm === undefined && s.filter.prb === undefined && s.filter.type === undefined);
  expect(everything?.expected).toBeGreaterThan(0);
  for (const s of report.subscribers) expect({ filter: s.filter, received: s.received }).toEqual({ filter: s.filter, received: s.expected });
}, 180_000);
