import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UI_CONTENT_SECURITY_POLICY } from "../../src/http/ui-routes.ts";
import { packageZip } from "../builders/test-runtime.ts";
import { BrokerServer } from "../support/broker-process.ts";
import { chromiumRequired, launchChromium } from "../support/chromium.ts";
import {
  CSP_VIOLATION_REPORTER,
  firstRunSetupLink,
  nextTotpCode,
  totpCode,
  watchDashboardPage,
} from "../support/dashboard-session.ts";
import { freePort } from "../support/free-port.ts";

const SCREENSHOTS = path.resolve(import.meta.dirname, "screenshots");
const AXE_SCRIPT = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const EMAIL = "root@example.com";
const PASSWORD = "correct horse battery 42";
const VIEWPORTS = [
  { name: "375", width: 375, height: 812 },
  { name: "1440", width: 1440, height: 900 },
] as const;
/** A signed-out session check, a wrong password or a missing code, and a common password. */
const EXPECTED_REFUSALS: readonly (readonly [number, RegExp])[] = [
  [401, /^\/api\/session$/],
  [400, /^\/api\/account-links\/accept$/],
];

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

/**
 * The dashboard in a real Chromium against a real `package-broker serve` with a fresh data dir:
 * first-run setup from the printed link, sign-in, turning on two-factor authentication, signing
 * in again with the TOTP code, a token created on the tokens screen and used to publish a package
 * that the overview then counts and to report installs that its downloads chart then shows,
 * navigation, sign-out. Every page is under the strict CSP and
 * must log no error and no CSP violation; every screen is photographed at 375 and 1,440 px and
 * checked with axe-core (no serious or critical violation).
 */
describe.runIf(chromiumRequired())("the dashboard in Chromium", () => {
  let root: string;
  let server: BrokerServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-dashboard-e2e-"));
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const port = await freePort();
    server = await BrokerServer.start(
      { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: `http://127.0.0.1:${port}` },
      port,
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: VIEWPORTS[1] });
    await context.addInitScript(CSP_VIOLATION_REPORTER);
    page = await context.newPage();
    watchDashboardPage(page, "admin", problems, EXPECTED_REFUSALS);
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function heading(): Promise<string> {
    return (await page.locator("h1").first().textContent()) ?? "";
  }

  /** Screenshots at both widths, then an axe-core pass in a CSP-bypassing copy of the context. */
  async function inspect(name: string): Promise<void> {
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${viewport.name}.png`), fullPage: true });
      const width = Number(await page.evaluate("document.documentElement.scrollWidth"));
      expect(width, `${name} scrolls sideways at ${viewport.name} px`).toBeLessThanOrEqual(viewport.width);
    }
    await page.setViewportSize(VIEWPORTS[1]);
    const axeContext = await browser.newContext({
      bypassCSP: true,
      storageState: await context.storageState(),
      viewport: VIEWPORTS[1],
    });
    try {
      const axePage = await axeContext.newPage();
      await axePage.goto(page.url());
      await axePage.locator("h1").first().waitFor();
      await axePage.locator(".state-loading").first().waitFor({ state: "detached" });
      await axePage.addScriptTag({ path: AXE_SCRIPT });
      const violations = await axePage.evaluate<AxeViolation[]>(
        "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)",
      );
      const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(
        serious.map(
          (v) =>
            `${v.id} (${v.impact ?? ""}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
        ),
        name,
      ).toEqual([]);
    } finally {
      await axeContext.close();
    }
  }

  it("sets up the first admin, signs in with a second factor, shows real data and signs out", async () => {
    const setupUrl = await firstRunSetupLink(server);
    expect(setupUrl).toMatch(/\/setup#[A-Za-z0-9_-]{43}$/);

    // First-run setup, from the link serve printed.
    const response = await page.goto(setupUrl);
    expect(response?.status()).toBe(200);
    const headers = response?.headers() ?? {};
    expect(headers["content-security-policy"]).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(await page.locator("h1").textContent()).toBe("Create the first administrator");
    await inspect("setup");
    // Validation like the API's, next to the field, before anything is sent.
    await page.getByLabel("E-mail address").fill(EMAIL);
    await page.getByLabel("New password").fill("short");
    await page.getByLabel("Repeat the password").fill("short");
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect
      .poll(() => page.locator("#password-error").textContent())
      .toContain("At least 12 characters");
    expect(await page.getByLabel("New password").getAttribute("aria-invalid")).toBe("true");
    // The API's own refusal (a common password), next to the field.
    await page.getByLabel("New password").fill("password1234");
    await page.getByLabel("Repeat the password").fill("password1234");
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect.poll(() => page.locator("#password-error").textContent()).toMatch(/common/i);
    await page.getByLabel("Name").fill("Root Admin");
    await page.getByLabel("New password").fill(PASSWORD);
    await page.getByLabel("Repeat the password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect.poll(heading).toBe("All set");
    expect(new URL(page.url()).hash).toBe("");

    // Sign in with the password (no second factor yet); a wrong one first.
    await page.getByRole("link", { name: "Sign in" }).click();
    await expect.poll(heading).toBe("Sign in");
    await inspect("sign-in");
    await page.getByLabel("E-mail address").fill(EMAIL);
    await page.getByLabel("Password").fill("not the password at all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("#password-error").textContent()).toBeTruthy();
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(heading).toBe("Overview");
    await page.locator(".state-loading").first().waitFor({ state: "detached" });
    expect(await page.getByText("No packages yet").count()).toBe(1);

    // Turn on two-factor authentication on the profile screen.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile" }).click();
    await expect.poll(heading).toBe("Profile");
    await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
    const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await inspect("profile-two-factor");
    await page.getByLabel("Code from the app").fill(totpCode(secret, Date.now()));
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect
      .poll(() => page.getByRole("list", { name: "Recovery codes" }).locator("li").count())
      .toBe(10);
    await page.getByRole("button", { name: "I have saved them" }).click();
    await expect.poll(() => page.getByText("recovery codes left").count()).toBe(1);
    await inspect("profile");

    // Sign out, and in again: password, then the TOTP code the API asks for.
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(heading).toBe("Sign in");
    await page.getByLabel("E-mail address").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    const codeField = page.getByLabel("Authentication code");
    await codeField.waitFor();
    await inspect("sign-in-code");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("#code-error").textContent()).toContain("6 digits");
    // The next step's code: the enrolment used this step's, and a step is accepted only once.
    await codeField.fill(nextTotpCode(secret));
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(heading).toBe("Overview");

    // A token made on the tokens screen publishes a package; the overview counts it.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tokens" }).click();
    await expect.poll(heading).toBe("Tokens");
    await page.locator(".state-loading").first().waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Create token" }).click();
    await expect
      .poll(() => page.locator("#description-error").textContent())
      .toBe("Say what the token is for.");
    await page.getByLabel("What it is for").fill("CI upload");
    await page.getByLabel(/^write/).check();
    await page.getByRole("textbox", { name: /^Packages/ }).fill("acme/*");
    await page.getByRole("button", { name: "Create token" }).click();
    const tokenSecret = await page.getByTestId("token-secret").inputValue();
    expect(tokenSecret).toMatch(/^pb_/);
    expect(await page.getByLabel("auth.json").textContent()).toContain(tokenSecret);
    await inspect("tokens");
    const upload = await fetch(`${server.url}/api/packages/upload`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokenSecret}`, "content-type": "application/zip" },
      body: new Uint8Array(packageZip("acme/widgets", "1.0.0")),
    });
    expect(upload.status).toBe(201);

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
    await expect.poll(heading).toBe("Overview");
    await expect.poll(() => page.getByTestId("package-count").textContent()).toBe("1");
    // No install yet; then two reported as Composer does, and the chart's table holds the API's numbers.
    const downloadsPanel = page.getByRole("region", { name: "Downloads", exact: true });
    await downloadsPanel.locator(".state-loading").waitFor({ state: "detached" });
    expect(await downloadsPanel.getByText("No installs reported yet.").count()).toBe(1);
    const notified = await fetch(`${server.url}/downloads`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokenSecret}`, "content-type": "application/json" },
      body: JSON.stringify({
        downloads: [
          { name: "acme/widgets", version: "1.0.0.0" },
          { name: "acme/widgets", version: "1.0.0.0" },
        ],
      }),
    });
    expect(notified.status).toBeLessThan(300);
    await page.reload();
    await expect.poll(heading).toBe("Overview");
    const chartTable = downloadsPanel.getByTestId("downloads-table");
    await expect.poll(() => chartTable.locator("tbody tr").count()).toBe(30);
    const downloads = (await (await page.request.get(`${server.url}/api/downloads?days=30`)).json()) as {
      total: number;
      periodTotal: number;
      daily: { day: string; count: number }[];
      top: { name: string; periodTotal: number }[];
    };
    expect(downloads).toMatchObject({
      total: 2,
      periodTotal: 2,
      top: [{ name: "acme/widgets", periodTotal: 2 }],
    });
    const days = await chartTable.locator("tbody th").allTextContents();
    const counts = await chartTable.locator("tbody td").allTextContents();
    expect(days.map((day, index) => ({ day, count: Number(counts[index]) }))).toEqual(downloads.daily);
    expect(await downloadsPanel.getByTestId("downloads-period-total").textContent()).toBe("2");
    expect(await downloadsPanel.getByTestId("downloads-total").textContent()).toBe("2");
    expect(await downloadsPanel.locator(".chart-bar").count()).toBe(1);
    expect(await page.getByRole("img", { name: /^Installs per day of all packages/ }).count()).toBe(1);
    const top = page.getByTestId("top-packages").locator("li");
    expect(await top.locator("a").allTextContents()).toEqual(["acme/widgets"]);
    expect(await top.first().textContent()).toContain("2 installs");
    await page.getByRole("button", { name: "Verify the whole log" }).click();
    await expect.poll(() => page.getByTestId("audit-verified").count()).toBe(1);
    // The open alerts the API reports (the rules may have fired on this run's sign-ins), and no others.
    const open = (await (await page.request.get(`${server.url}/api/alerts?status=open&limit=5`)).json()) as {
      alerts: { title: string }[];
    };
    const alertsPanel = page.getByRole("region", { name: "Open alerts" });
    await alertsPanel.locator(".state-loading").waitFor({ state: "detached" });
    if (open.alerts.length === 0) expect(await alertsPanel.getByText("No open alerts.").count()).toBe(1);
    else expect(await alertsPanel.locator("li").count()).toBe(open.alerts.length);
    for (const alert of open.alerts) expect(await alertsPanel.textContent()).toContain(alert.title);
    expect(
      await page
        .getByRole("navigation", { name: "Main" })
        .getByRole("link", { name: "Overview" })
        .getAttribute("aria-current"),
    ).toBe("page");
    await inspect("overview");

    // Every other screen of the navigation bar, with real data.
    const nav = page.getByRole("navigation", { name: "Main" });
    const visit = async (link: string, title: string): Promise<void> => {
      await nav.getByRole("link", { name: link, exact: true }).click();
      await expect.poll(heading).toBe(title);
      await page.locator(".state-loading").first().waitFor({ state: "detached" });
    };
    await visit("Packages", "Packages");
    expect(await page.getByRole("rowheader", { name: /acme\/widgets/ }).count()).toBe(1);
    await inspect("packages");
    await visit("Repositories", "Repositories");
    expect(await page.getByText("No repositories yet.").count()).toBe(1);
    await inspect("repositories");
    await visit("Audit log", "Audit log");
    await page.getByLabel("Search").fill("action:login_failed");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await expect
      .poll(() => page.getByRole("rowheader", { name: "authentication/login_failed" }).count())
      .toBeGreaterThan(0);
    await inspect("audit-log");
    await visit("Alerts", "Alerts");
    await inspect("alerts");
    await visit("Sinks", "Sinks");
    expect(await page.getByText(/No sinks yet/).count()).toBe(1);
    await inspect("sinks");
    await visit("Settings", "Settings");
    expect(await page.getByLabel("Require two-factor authentication").isChecked()).toBe(false);
    await inspect("settings");
    await visit("Users", "Users");
    expect(await page.getByRole("rowheader", { name: /Root Admin/ }).count()).toBe(1);
    await page.getByRole("button", { name: "Invite" }).click();
    await expect.poll(() => page.locator("#invite-email-error").textContent()).toContain("e-mail address");
    await page.getByLabel("E-mail address").fill("viewer@example.com");
    await page.getByLabel("Role").selectOption("viewer");
    await page.getByRole("button", { name: "Invite" }).click();
    const inviteUrl = (await page.locator(".notice-inline code").textContent()) ?? "";
    expect(inviteUrl).toMatch(/\/invite#[A-Za-z0-9_-]{43}$/);
    await inspect("users");

    // The invited viewer, in a browser of their own: accept, sign in, see only what a viewer may.
    const viewerContext = await browser.newContext({ viewport: VIEWPORTS[0] });
    try {
      const viewer = await viewerContext.newPage();
      await viewer.goto(inviteUrl);
      await expect.poll(() => viewer.locator("h1").textContent()).toBe("Accept your invitation");
      await viewer.screenshot({ path: path.join(SCREENSHOTS, "invite-375.png"), fullPage: true });
      await viewer.getByLabel("New password").fill("plum orchard sunrise 77");
      await viewer.getByLabel("Repeat the password").fill("plum orchard sunrise 77");
      await viewer.getByRole("button", { name: "Save password" }).click();
      await expect.poll(() => viewer.locator("h1").textContent()).toBe("All set");
      await viewer.getByRole("link", { name: "Sign in" }).click();
      await viewer.getByLabel("E-mail address").fill("viewer@example.com");
      await viewer.getByLabel("Password").fill("plum orchard sunrise 77");
      await viewer.getByRole("button", { name: "Sign in" }).click();
      await expect.poll(() => viewer.locator("h1").textContent()).toBe("Overview");
      expect(
        await viewer.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents(),
      ).toEqual(["Overview", "Packages", "Repositories", "Tokens", "Profile"]);
      await viewer.locator(".state-loading").first().waitFor({ state: "detached" });
      expect(await viewer.getByRole("region", { name: "Audit log" }).count()).toBe(0);
      await viewer.screenshot({ path: path.join(SCREENSHOTS, "overview-viewer-375.png"), fullPage: true });
    } finally {
      await viewerContext.close();
    }

    // An unknown path inside the app, and signing out for good.
    await page.goto(`${server.url}/ui/no-such-screen`);
    await expect.poll(heading).toBe("Page not found");
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(heading).toBe("Sign in");
    const session = await page.request.get(`${server.url}/api/session`);
    expect(session.status()).toBe(401);

    expect(problems).toEqual([]);
  }, 180_000);
});
