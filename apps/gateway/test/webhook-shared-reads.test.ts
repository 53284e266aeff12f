import { describe, expect, it } from "vitest";
import type { HistoryFilter } from "@probestream/db";
import { Budget, SharedLogPages } from "../src/webhooks/worker.js";

// The worker's protections of a healthy webhook against many others (bench:webhooks' hostile
// receivers): identical log reads in flight share one query, and struggling lanes' database work
// waits for a small budget instead of queueing on the pool ahead of everyone.

type Page = { rows: never[]; upTo: string; more: boolean };

function fakeHistory() {
  const calls: { f: HistoryFilter; position: string; resolve: (p: Page) => void }[] = [];
  return {
    calls,
    logPage: (f: HistoryFilter, position: string) => new Promise<Page>((resolve) => calls.push({ f, position, resolve })),
  };
}

describe("shared log pages", () => {
  it("share an identical read in flight while no commit was announced since it was asked", async () => {
    const history = fakeHistory();
    let announced = 0;
    const pages = new SharedLogPages(history, () => announced);
    const f = { msm: 1, readerId: null };
    const a = pages.logPage(f, "5", 500, 2000);
    const b = pages.logPage({ msm: 1, readerId: null }, "5", 500, 2000);
    expect(history.calls).toHaveLength(1);
    // Another position, limit, filter or reader: a read of its own.
    void pages.logPage(f, "6", 500, 2000);
    void pages.logPage(f, "5", 400, 2000);
    void pages.logPage({ msm: 2, readerId: null }, "5", 500, 2000);
    void pages.logPage({ msm: 1, readerId: 7 }, "5", 500, 2000);
    expect(history.calls).toHaveLength(5);
    // A commit announced since the read was asked: it may not see it, so a lane asking now reads again.
    announced++;
    const c = pages.logPage(f, "5", 500, 2000);
    expect(history.calls).toHaveLength(6);
    history.calls[0]!.resolve({ rows: [], upTo: "9", more: false });
    history.calls[5]!.resolve({ rows: [], upTo: "10", more: false });
    expect(await a).toBe(await b);
    expect((await c).upTo).toBe("10");
    // Once answered it is forgotten: the next read is a fresh one.
    void pages.logPage(f, "5", 500, 2000);
    expect(history.calls).toHaveLength(7);
  });

  it("keep reads through a budget apart from the others", async () => {
    const history = fakeHistory();
    const pages = new SharedLogPages(history, () => 0);
    const budget = new Budget(1);
    const f = { msm: 1, readerId: null };
    void pages.logPage(f, "5", 500, 2000, budget);
    void pages.logPage(f, "5", 500, 2000);
    await new Promise((r) => setImmediate(r));
    expect(history.calls).toHaveLength(2);
  });
});

describe("budget", () => {
  it("runs at most its size at once, the rest in the order given, even when some fail", async () => {
    const budget = new Budget(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const task = (i: number) => async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      order.push(i);
      if (i === 3) throw new Error("failed");
      return i;
    };
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => budget.run(task(i))));
    expect(most).toBe(2);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
    expect(order.slice(0, 2).sort()).toEqual([0, 1]);
    expect(budget.waiting).toBe(0);
    // Free again: a task starts at once.
    expect(await budget.run(async () => running)).toBe(0);
  });
});
