import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitFixture } from "../builders/git-fixture.ts";
import { BrokerServer } from "../support/broker-process.ts";
import { chromiumRequired, launchChromium } from "../support/chromium.ts";
import { composerAvailable, ComposerProject } from "../support/composer-client.ts";
import { DASHBOARD_VIEWPORTS, inspectDashboard } from "../support/dashboard-inspect.ts";
import {
  CSP_VIOLATION_REPORTER,
  firstRunSetupLink,
  nextTotpCode,
  totpCode,
  watchDashboardPage,
} from "../support/dashboard-session.ts";
import { freePort } from "../support/free-port.ts";
import { requireComponent } from "../support/required-component.ts";

const ADMIN = { email: "root@example.com", password: "correct horse battery 42", name: "Root Admin" };
const AUDITOR = { email: "audra@example.com", password: "granite meadow violin 64" };
/**
 * Refusals the browser logs as failed loads: the signed-out session check each fresh browser
 * makes.
 */
const EXPECTED_REFUSALS: readonly (readonly [number, RegExp])[] = [[401, /^\/api\/session$/]];
const DOWNLOADS_QUERY = "event:package_access action:download";

const runs =
  chromiumRequired() &&
  requireComponent(
    "composer",
    composerAvailable(),
    "install the composer, php-cli, php-zip, php-curl packages",
  );

/**
 * One person's whole first day with the dashboard, in a real Chromium against a real
 * `package-broker serve` on a fresh data dir, through the screens only: the first administrator
 * is created from the printed setup link and turns on two-factor authentication, signs out and in
 * again with the TOTP code, adds a git repository (a bare repository made here) and syncs it,
 * creates a read token and copies its once-shown secret and auth.json into a project where the
 * real `composer install` uses them; the audit log then finds that download, its drawer verifies
 * the inclusion proof in the browser, and the search is exported as CSV. Last, an auditor invited
 * on the users screen signs in and sees the download but no write action, and an admin screen's
 * address says it is not available to them. Every step is photographed at 375 and 1,440 px and
 * checked with axe-core; no page may log an error or a CSP violation.
 */
describe.runIf(runs)("the dashboard from first run to a verified composer download", () => {
  let root: string;
  let server: BrokerServer;
  let bareRepository: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  async function heading(target: Page = page): Promise<string> {
    return (await target.locator("h1").first().textContent()) ?? "";
  }

  async function settled(target: Page = page): Promise<void> {
    await target.locator(".state-loading").first().waitFor({ state: "detached" });
  }

  async function visit(link: string, target: Page = page): Promise<void> {
    await target
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: link, exact: true })
      .click();
    await expect.poll(() => heading(target)).toBe(link);
    await settled(target);
  }

  async function signInWithPassword(target: Page, email: string, password: string): Promise<void> {
    await target.getByLabel("E-mail address").fill(email);
    await target.getByLabel("Password").fill(password);
    await target.getByRole("button", { name: "Sign in" }).click();
  }

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-dashboard-journey-"));
    // The repository the admin adds: a bare clone of a working copy with a tagged version.
    const work = new GitFixture(path.join(root, "src/gadgets"));
    work.commit({
      "composer.json": {
        name: "acme/gadgets",
        description: "Gadgets",
        license: "MIT",
        autoload: { "psr-4": { "Acme\\Gadgets\\": "src/" } },
      },
      "src/Gadget.php": "<?php namespace Acme\\Gadgets; final class Gadget {}\n",
    });
    work.tag("v1.0.0");
    bareRepository = path.join(root, "gadgets.git");
    execFileSync("git", ["clone", "--quiet", "--bare", work.dir, bareRepository]);

    const port = await freePort();
    server = await BrokerServer.start(
      {
        PB_DATA_DIR: path.join(root, "data"),
        PB_BASE_URL: `http://127.0.0.1:${port}`,
        PB_ALLOW_PRIVATE_SOURCES: "true",
      },
      port,
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: DASHBOARD_VIEWPORTS[1], acceptDownloads: true });
    await context.addInitScript(CSP_VIOLATION_REPORTER);
    page = await context.newPage();
    watchDashboardPage(page, "admin", problems, EXPECTED_REFUSALS);
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  let totpSecret = "";
  let tokenSecret = "";
  let tokenFingerprint = "";
  let authJson = "";
  let downloadEventId = "";

  it("creates the first admin from the setup link, with a second factor, and signs in with it", async () => {
    const setupUrl = await firstRunSetupLink(server);
    await page.goto(setupUrl);
    await expect.poll(() => heading()).toBe("Create the first administrator");
    await inspectDashboard(page, "journey-setup");
    await page.getByLabel("Name").fill(ADMIN.name);
    await page.getByLabel("E-mail address").fill(ADMIN.email);
    await page.getByLabel("New password").fill(ADMIN.password);
    await page.getByLabel("Repeat the password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect.poll(() => heading()).toBe("All set");

    await page.getByRole("link", { name: "Sign in" }).click();
    await expect.poll(() => heading()).toBe("Sign in");
    await signInWithPassword(page, ADMIN.email, ADMIN.password);
    await expect.poll(() => heading()).toBe("Overview");
    await settled();

    await visit("Profile");
    await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
    totpSecret = (await page.getByTestId("totp-secret").textContent()) ?? "";
    expect(totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    await inspectDashboard(page, "journey-two-factor");
    await page.getByLabel("Code from the app").fill(totpCode(totpSecret, Date.now()));
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect
      .poll(() => page.getByRole("list", { name: "Recovery codes" }).locator("li").count())
      .toBe(10);
    await page.getByRole("button", { name: "I have saved them" }).click();
    await expect.poll(() => page.getByText("recovery codes left").count()).toBe(1);

    // Signed out, the password alone is not enough any more: the code is asked for.
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => heading()).toBe("Sign in");
    await signInWithPassword(page, ADMIN.email, ADMIN.password);
    const codeField = page.getByLabel("Authentication code");
    await codeField.waitFor();
    await inspectDashboard(page, "journey-sign-in-code");
    await codeField.fill(nextTotpCode(totpSecret));
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => heading()).toBe("Overview");
    await settled();
    expect(await page.getByText("No packages yet").count()).toBe(1);
    await inspectDashboard(page, "journey-overview-empty");
  }, 120_000);

  it("adds the git repository, syncs it, and lists its package", async () => {
    await visit("Repositories");
    const form = page.getByRole("form", { name: "Add a repository" });
    await form.getByLabel("URL").fill(bareRepository);
    await form.getByLabel("Name").fill("gadgets");
    await form.getByRole("button", { name: "Add repository" }).click();
    const details = page.getByRole("region", { name: "gadgets" });
    await expect.poll(() => details.getByText("Not synced yet.").count()).toBe(1);
    await inspectDashboard(page, "journey-repository-added");
    await page.getByRole("button", { name: "Sync now gadgets" }).click();
    await expect.poll(() => page.getByText("gadgets synced.").count(), { timeout: 30_000 }).toBe(1);
    const history = details.getByRole("list", { name: "Sync history" });
    await expect.poll(() => history.locator("li").first().textContent()).toContain("succeeded");
    expect(await history.locator("li").first().textContent()).toContain("acme/gadgets");
    await inspectDashboard(page, "journey-repository-synced");

    await visit("Packages");
    await expect.poll(() => page.getByRole("rowheader", { name: /acme\/gadgets/ }).count()).toBe(1);
    await inspectDashboard(page, "journey-packages");
  }, 120_000);

  it("creates a read token whose once-shown secret and auth.json the real composer installs with", async () => {
    await visit("Tokens");
    await page.getByLabel("What it is for").fill("composer on the build server");
    expect(await page.getByLabel(/^read/).isChecked()).toBe(true);
    expect(await page.getByLabel(/^write/).isChecked()).toBe(false);
    await page.getByRole("button", { name: "Create token" }).click();
    tokenSecret = await page.getByTestId("token-secret").inputValue();
    expect(tokenSecret).toMatch(/^pb_/);
    authJson = (await page.getByLabel("auth.json").textContent()) ?? "";
    const host = new URL(server.url).host;
    expect(JSON.parse(authJson)).toEqual({
      "http-basic": { [host]: { username: "token", password: tokenSecret } },
    });
    const listed = page.locator(".token-list li", { hasText: "composer on the build server" });
    tokenFingerprint = (await listed.locator("code").first().textContent()) ?? "";
    expect(tokenFingerprint).not.toBe("");
    await inspectDashboard(page, "journey-token-created");
    await page.getByRole("button", { name: "Done" }).click();
    expect(await page.getByTestId("token-secret").count()).toBe(0);

    // The auth.json exactly as shown, beside composer.json, as the notice says.
    const projectDir = path.join(root, "project");
    fs.mkdirSync(projectDir, { recursive: true });
    const project = new ComposerProject(projectDir, server.url, { "acme/gadgets": "^1.0" });
    // Without it the server lets composer have nothing.
    const refused = await project.runAsync("install");
    expect(refused.status, refused.output).not.toBe(0);
    expect(refused.output).toMatch(/401|[Aa]uthentication required/);
    expect(fs.existsSync(path.join(projectDir, "vendor/acme/gadgets"))).toBe(false);
    fs.writeFileSync(path.join(projectDir, "auth.json"), authJson);
    const run = await project.runAsync("install");
    expect(run.status, run.output).toBe(0);
    expect(project.installed().get("acme/gadgets")).toEqual({
      version: "v1.0.0",
      installationSource: "dist",
    });
    expect(fs.existsSync(path.join(projectDir, "vendor/acme/gadgets/src/Gadget.php"))).toBe(true);

    // The token's "Last used" is no longer "never".
    await page.reload();
    await expect.poll(() => heading()).toBe("Tokens");
    await settled();
    await expect
      .poll(() =>
        page
          .locator(".token-list li", { hasText: "composer on the build server" })
          .locator("dt", { hasText: "Last used" })
          .locator("xpath=following-sibling::dd")
          .textContent(),
      )
      .not.toBe("never");
    await inspectDashboard(page, "journey-token-used");
  }, 240_000);

  it("finds that download in the audit log, verifies its proof in the browser and exports it as CSV", async () => {
    await visit("Audit log");
    const searchBox = page.getByRole("combobox", { name: "Search" });
    const rows = page.locator(".audit-table tbody tr");
    // The search index may lag the log by a moment: search again until the download is there.
    await expect
      .poll(
        async () => {
          await searchBox.fill(DOWNLOADS_QUERY);
          await searchBox.press("Enter");
          await settled();
          return rows.count();
        },
        { timeout: 20_000 },
      )
      .toBe(1);
    expect(await rows.first().textContent()).toContain("acme/gadgets");
    // The same download found by the fingerprint the tokens screen showed.
    const tokenQuery = `token:${tokenFingerprint} action:download`;
    await searchBox.fill(tokenQuery);
    await searchBox.press("Enter");
    // The export follows the search in force: its CSV, read below, is this search's result.
    await expect
      .poll(() => page.locator('a[data-format="csv"]').getAttribute("href"))
      .toBe(`/api/audit/export?${new URLSearchParams({ format: "csv", q: tokenQuery }).toString()}`);
    await settled();
    await expect.poll(() => rows.count()).toBe(1);
    const row = rows.first();
    expect(await row.textContent()).toContain("acme/gadgets");
    await inspectDashboard(page, "journey-audit-search");

    await row.getByRole("button", { name: "package_access/download" }).click();
    const drawer = page.getByRole("dialog", { name: /Event #\d+: package_access\/download/ });
    await drawer.waitFor();
    await expect
      .poll(() => drawer.getByTestId("audit-proof-result").textContent(), { timeout: 15_000 })
      .toMatch(/^Verified against checkpoint \d+/);
    const drawerText = (await drawer.textContent()) ?? "";
    expect(drawerText).toContain("acme/gadgets");
    expect(drawerText).toContain("1.0.0");
    // The download is the token's: the drawer names it by the fingerprint the tokens screen showed.
    expect(drawerText).toContain(tokenFingerprint);
    downloadEventId =
      (await drawer
        .locator(".audit-fields dt", { hasText: /^id$/ })
        .locator("xpath=following-sibling::dd[1]")
        .textContent()) ?? "";
    expect(downloadEventId).toMatch(/^[0-9A-Z]{26}$/);
    await inspectDashboard(page, "journey-audit-proof");
    await page.keyboard.press("Escape");
    await drawer.waitFor({ state: "detached" });

    const [csv] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "CSV", exact: true }).click(),
    ]);
    const lines = fs
      .readFileSync(await csv.path(), "utf8")
      .split("\r\n")
      .filter((line) => line !== "");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("package_access");
    expect(lines[1]).toContain("download");
    expect(lines[1]).toContain("acme/gadgets");
    expect(lines[1]).toContain(downloadEventId);
    expect(lines.join("\n")).not.toContain(tokenSecret);
  }, 120_000);

  it("invites an auditor who sees the download but no write action, and no admin screen", async () => {
    await visit("Users");
    await page.getByLabel("E-mail address").fill(AUDITOR.email);
    await page.getByLabel("Role").selectOption("auditor");
    await page.getByRole("button", { name: "Invite" }).click();
    const inviteUrl = (await page.locator(".notice-inline code").textContent()) ?? "";
    expect(inviteUrl).toMatch(/\/invite#[A-Za-z0-9_-]{43}$/);
    await inspectDashboard(page, "journey-auditor-invited");

    const auditorContext = await browser.newContext({ viewport: DASHBOARD_VIEWPORTS[1] });
    try {
      await auditorContext.addInitScript(CSP_VIOLATION_REPORTER);
      const view = await auditorContext.newPage();
      watchDashboardPage(view, "auditor", problems, EXPECTED_REFUSALS);
      await view.goto(inviteUrl);
      await expect.poll(() => heading(view)).toBe("Accept your invitation");
      await view.getByLabel("New password").fill(AUDITOR.password);
      await view.getByLabel("Repeat the password").fill(AUDITOR.password);
      await view.getByRole("button", { name: "Save password" }).click();
      await expect.poll(() => heading(view)).toBe("All set");
      await view.getByRole("link", { name: "Sign in" }).click();
      await signInWithPassword(view, AUDITOR.email, AUDITOR.password);
      await expect.poll(() => heading(view)).toBe("Overview");
      await settled(view);
      const nav = view.getByRole("navigation", { name: "Main" });
      expect(await nav.getByRole("link").allTextContents()).toEqual([
        "Overview",
        "Tokens",
        "Audit log",
        "Alerts",
        "Sinks",
        "Profile",
      ]);
      await inspectDashboard(view, "journey-auditor-overview");

      // The same download, its proof verified for the auditor too; nothing to change on the way.
      await visit("Audit log", view);
      const searchBox = view.getByRole("combobox", { name: "Search" });
      await searchBox.fill(DOWNLOADS_QUERY);
      await searchBox.press("Enter");
      await settled(view);
      await expect.poll(() => view.locator(".audit-table tbody tr").count()).toBe(1);
      await view.getByRole("button", { name: "package_access/download" }).click();
      const drawer = view.getByRole("dialog", { name: /package_access\/download/ });
      await expect
        .poll(() => drawer.getByTestId("audit-proof-result").textContent(), { timeout: 15_000 })
        .toMatch(/^Verified against checkpoint \d+/);
      await inspectDashboard(view, "journey-auditor-audit-proof");
      await view.keyboard.press("Escape");
      await drawer.waitFor({ state: "detached" });

      // Only their own tokens. The form starts at the one scope an auditor's token can use (admin,
      // which carries audit:read); read and write would allow them nothing and cannot be chosen.
      await visit("Tokens", view);
      expect(await view.getByText("Your personal tokens").count()).toBe(1);
      expect(await view.getByText("composer on the build server").count()).toBe(0);
      expect(await view.getByLabel(/^admin/).isChecked()).toBe(true);
      for (const scope of [/^read/, /^write/]) {
        const box = view.getByLabel(scope);
        expect(await box.isChecked()).toBe(false);
        expect(await box.isDisabled()).toBe(true);
        expect(
          await view.locator(`#${(await box.getAttribute("aria-describedby")) ?? "none"}`).textContent(),
        ).toContain("allows nothing the auditor role does");
      }
      await inspectDashboard(view, "journey-auditor-token-form");
      await view.getByLabel("What it is for").fill("SIEM pull");
      await view.getByRole("button", { name: "Create token" }).click();
      const auditorToken = await view.getByTestId("token-secret").inputValue();
      expect(auditorToken).toMatch(/^pb_/);
      await inspectDashboard(view, "journey-auditor-token-created");
      await view.getByRole("button", { name: "Done" }).click();
      // It reads the audit log and nothing else: no packages, no management.
      const bearer = { authorization: `Bearer ${auditorToken}` };
      const auditRead = await fetch(`${server.url}/api/audit/events?limit=1`, { headers: bearer });
      expect(auditRead.status).toBe(200);
      await auditRead.arrayBuffer();
      for (const [method, route] of [
        ["GET", "/p2/acme/gadgets.json"],
        ["GET", "/api/repositories"],
        ["POST", "/api/tokens"],
      ] as const) {
        const refused = await fetch(`${server.url}${route}`, {
          method,
          headers: { ...bearer, "content-type": "application/json" },
          ...(method === "POST" ? { body: JSON.stringify({ description: "x", scopes: ["read"] }) } : {}),
        });
        expect(refused.status, `${method} ${route}`).toBe(403);
        await refused.arrayBuffer();
      }

      await visit("Sinks", view);
      expect(await view.getByRole("form", { name: "Add a sink" }).count()).toBe(0);
      expect(await view.getByRole("button", { name: /Send test|Pause|Resume|Remove/ }).count()).toBe(0);
      await inspectDashboard(view, "journey-auditor-sinks");

      for (const screen of ["repositories", "users", "settings"]) {
        await view.goto(`${server.url}/ui/${screen}`);
        await expect.poll(() => heading(view)).toBe("Not available to your role");
        expect(
          await view
            .getByRole("button", { name: /Invite|Manage|Save|Add repository|Sync now|Block|Remove/ })
            .count(),
        ).toBe(0);
        expect(await view.getByRole("form").count()).toBe(0);
      }
      await inspectDashboard(view, "journey-auditor-not-allowed");
    } finally {
      await auditorContext.close();
    }
    expect(problems).toEqual([]);
  }, 180_000);
});
