import { Secret, TOTP } from "otpauth";
import type { Page } from "playwright-core";
import { TOTP_ALGORITHM, TOTP_DIGITS, TOTP_PERIOD_SECONDS } from "../../src/access/totp.ts";
import type { BrokerServer } from "./broker-process.ts";

/** The line `serve` prints on a fresh data dir, with the first-run setup link. */
const SETUP_LINE = /Open this link within 24 hours to create one: (\S+)$/;

/** The first-run setup link a fresh `serve` printed (waits a few seconds for it). */
export async function firstRunSetupLink(server: BrokerServer): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const line = server.textLines.find((text) => SETUP_LINE.test(text));
    if (line !== undefined) return SETUP_LINE.exec(line)?.[1] ?? "";
    if (Date.now() > deadline) throw new Error("serve printed no setup link");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The authenticator app's code for a moment (the server accepts the step before and after). */
export function totpCode(secret: string, at: number): string {
  return new TOTP({
    secret: Secret.fromBase32(secret),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  }).generate({ timestamp: at });
}

/**
 * A code for signing in right after the code of this step was used (enrolling, or signing in):
 * the next step's, since a step is accepted only once and the server accepts one step ahead.
 */
export function nextTotpCode(secret: string): string {
  return totpCode(secret, Date.now() + TOTP_PERIOD_SECONDS * 1000);
}

/**
 * Collects the errors a page logs (console errors, uncaught exceptions, CSP violations once the
 * context reports them) into `problems`, except the refusals a test provokes on purpose: a failed
 * load with one of the statuses at a path matching its pattern.
 */
export function watchDashboardPage(
  page: Page,
  label: string,
  problems: string[],
  expectedRefusals: readonly (readonly [number, RegExp])[],
): void {
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const pathname = new URL(message.location().url || "about:blank").pathname;
    const expected = expectedRefusals.some(
      ([status, route]) =>
        message
          .text()
          .startsWith(`Failed to load resource: the server responded with a status of ${status}`) &&
        route.test(pathname),
    );
    if (!expected) problems.push(`${label}: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => {
    problems.push(`${label}: page error: ${error.message}`);
  });
}

/** Reports CSP violations as console errors, for watchDashboardPage to collect. */
export const CSP_VIOLATION_REPORTER =
  "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));";

/** Fills and sends the sign-in form (the caller waits for what the role lands on). */
export async function submitSignIn(
  page: Page,
  baseUrl: string,
  email: string,
  password: string,
): Promise<void> {
  await page.goto(`${baseUrl}/ui/sign-in`);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * Creates the first admin through the setup link a fresh `serve` printed, as the page behind the
 * link would; returns the status of the acceptance.
 */
export async function createFirstAdmin(server: BrokerServer, person: object): Promise<number> {
  const setupUrl = await firstRunSetupLink(server);
  const accepted = await fetch(`${server.url}/api/account-links/accept`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: new URL(setupUrl).hash.slice(1), ...person }),
  });
  await accepted.body?.cancel();
  return accepted.status;
}
