import { defineConfig } from "vitest/config";

// One run over every workspace: the tests talk to the real Postgres and Redis
// (DATABASE_URL / REDIS_URL, defaulting to the local services), so files run
// one at a time to keep their databases and ports apart.
export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "bench/test/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // CI boxes are noisy: a background step (the scheduler's tick, a relay
    // round) can take seconds there, so polled expectations wait up to 10 s.
    expect: { poll: { timeout: 10_000 } },
  },
});
