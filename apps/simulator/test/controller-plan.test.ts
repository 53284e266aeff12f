import { describe, expect, it } from "vitest";
import { ControllerPlan, parseAssignments } from "../src/controller-plan.js";

const T0 = 1_800_000_000;

function assignment(overrides: Record<string, unknown> = {}) {
  return {
    msm_id: 20_000_001,
    type: "ping",
    interval: null,
    is_oneoff: true,
    start_time: T0,
    stop_time: null,
    spread: null,
    definition: { target: "www.ripe.net", af: 4, packets: 5 },
    ...overrides,
  };
}

describe("a simulated probe's plan of its controller assignments", () => {
  it("runs a one-off once, even when the controller sends a changed list", () => {
    const plan = new ControllerPlan(1);
    plan.update([assignment({ start_time: null })], T0 * 1000);
    const runs = plan.due(T0 * 1000 + 100);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.measurement).toMatchObject({ id: 20_000_001, type: "ping", target: "www.ripe.net", options: { packets: 5 } });
    plan.update([assignment()], T0 * 1000 + 1000);
    expect(plan.due(T0 * 1000 + 60_000)).toEqual([]);
  });

  it("runs a periodic measurement every interval from its start until its stop time", () => {
    const plan = new ControllerPlan(1);
    plan.update([assignment({ is_oneoff: false, interval: 60, spread: 0, stop_time: T0 + 150 })], T0 * 1000 + 2000);
    const times: number[] = [];
    for (let t = T0 * 1000 + 2000; t <= (T0 + 300) * 1000; t += 1000) times.push(...plan.due(t).map((run) => run.timestamp));
    expect(times).toEqual([T0 + 2, T0 + 60, T0 + 120]);
  });

  it("places each probe's periodic runs within the spread, stable per probe", () => {
    const firstRun = (prbId: number) => {
      const plan = new ControllerPlan(prbId);
      const run = assignment({ is_oneoff: false, interval: 240, spread: 120, start_time: T0 + 10 });
      plan.update([run], T0 * 1000);
      for (let t = T0 * 1000; ; t += 1000) if (plan.due(t).length > 0) return t / 1000 - T0 - 10;
    };
    const offsets = Array.from({ length: 50 }, (_, i) => firstRun(i + 1));
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThanOrEqual(120);
    expect(new Set(offsets).size).toBeGreaterThan(20);
    expect(firstRun(7)).toBe(offsets[6]);
  });

  it("stops what the controller no longer lists and skips what the fleet runs itself", () => {
    const plan = new ControllerPlan(1, new Set([1791207]));
    plan.update([assignment({ is_oneoff: false, interval: 60, spread: 0 }), assignment({ msm_id: 1791207 })], T0 * 1000);
    expect(plan.size).toBe(1);
    plan.update([], T0 * 1000);
    expect(plan.size).toBe(0);
    expect(plan.due((T0 + 600) * 1000)).toEqual([]);
  });

  it("leaves out entries it cannot run", () => {
    expect(parseAssignments([{ msm_id: 0, type: "ping" }, { msm_id: 5, type: "mtr" }, null, assignment()])).toHaveLength(1);
    expect(parseAssignments({ not: "a list" })).toEqual([]);
  });
});
