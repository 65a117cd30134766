import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { expect } from "vitest";

export const DASHBOARD_SCREENSHOTS = path.resolve(import.meta.dirname, "../e2e/screenshots");
export const DASHBOARD_VIEWPORTS = [
  { name: "375", width: 375, height: 812 },
  { name: "1440", width: 1440, height: 900 },
] as const;
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

/**
 * A dashboard screen in the state it is in now, at 375 and 1,440 px: photographed (full page, and
 * never wider than the window) and checked with axe-core in place at each width, so that open
 * panels, confirmations and field errors are checked too. axe is evaluated through the DevTools protocol,
 * which the page's Content-Security-Policy does not govern, so the page keeps its strict CSP.
 */
export async function inspectDashboard(page: Page, name: string): Promise<void> {
  fs.mkdirSync(DASHBOARD_SCREENSHOTS, { recursive: true });
  const original = page.viewportSize();
  if (!(await page.evaluate("typeof window.axe !== 'undefined'"))) await page.evaluate(AXE_SOURCE);
  for (const viewport of DASHBOARD_VIEWPORTS) {
    await page.setViewportSize(viewport);
    await page.screenshot({
      path: path.join(DASHBOARD_SCREENSHOTS, `${name}-${viewport.name}.png`),
      fullPage: true,
    });
    const width = Number(await page.evaluate("document.documentElement.scrollWidth"));
    expect(width, `${name} scrolls sideways at ${viewport.name} px`).toBeLessThanOrEqual(viewport.width);
    const violations = await page.evaluate<AxeViolation[]>(
      "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)",
    );
    const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(
      serious.map(
        (v) =>
          `${v.id} (${v.impact ?? ""}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
      ),
      `${name} at ${viewport.name} px`,
    ).toEqual([]);
  }
  if (original !== null) await page.setViewportSize(original);
}
