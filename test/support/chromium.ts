import fs from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { requireComponent } from "./required-component.ts";

/** Debian's Chromium (`apt-get install chromium`), or the browser PB_CHROMIUM names. */
export const CHROMIUM_PATH = process.env.PB_CHROMIUM ?? "/usr/bin/chromium";

/** Whether the browser tests can run here; under CI=true a missing Chromium fails the suite. */
export function chromiumRequired(): boolean {
  return requireComponent(
    "Chromium",
    fs.existsSync(CHROMIUM_PATH),
    `install it: apt-get install chromium (${CHROMIUM_PATH})`,
  );
}

/** A headless Chromium driven by playwright-core (no browser download: the system's own). */
export async function launchChromium(): Promise<Browser> {
  const asRoot = process.getuid?.() === 0;
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Chromium's sandbox refuses to run as root.
    args: asRoot ? ["--no-sandbox"] : [],
  });
}
