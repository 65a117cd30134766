import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { firstLoadScripts } from "./first-load-scripts.ts";

const BUILD = path.resolve(import.meta.dirname, "../../dist/ui");
/** The budget of issue 8: what the dashboard adds to the first page load, gzipped. */
const BUDGET_BYTES = 300 * 1024;

/** Runs on the build that the global setup makes (`npm run build`). */
describe("the dashboard's first page load", () => {
  it(`loads at most ${BUDGET_BYTES / 1024} KB of gzipped JavaScript`, () => {
    const scripts = firstLoadScripts(BUILD, "/ui/");
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce(
      (sum, file) => sum + zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length,
      0,
    );
    console.log(
      `dashboard first load: ${scripts.length} script(s), ${(gzipped / 1024).toFixed(1)} KB gzipped`,
    );
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });
});
