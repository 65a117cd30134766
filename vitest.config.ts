import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    // A condition polled for (a sync finishing, a page showing it) may take seconds on a loaded
    // CI machine: waiting longer only delays a real failure.
    expect: { poll: { timeout: 10_000 } },
  },
});
