import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Secret, TOTP } from "otpauth";
import { request as apiRequest, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOTP_ALGORITHM, TOTP_DIGITS, TOTP_PERIOD_SECONDS } from "../../src/access/totp.ts";
import { GitFixture } from "../builders/git-fixture.ts";
import { BrokerServer } from "../support/broker-process.ts";
import { chromiumRequired, launchChromium } from "../support/chromium.ts";
import { DASHBOARD_VIEWPORTS, inspectDashboard } from "../support/dashboard-inspect.ts";
import { freePort } from "../support/free-port.ts";
import { createFirstAdmin, submitSignIn, watchDashboardPage } from "../support/dashboard-session.ts";

const ADMIN = { email: "root@example.com", password: "correct horse battery 42", name: "Root Admin" };
const MAINTAINER = { email: "maya@example.com", password: "maple syrup lantern 31", name: "Maya Maintainer" };
const VIEWER = { email: "vic@example.com", password: "plum orchard sunrise 77", name: "Vic Viewer" };
const AUDITOR = { email: "audra@example.com", password: "granite meadow violin 64", name: "Audra Auditor" };
const PHONE_LOST = { email: "tess@example.com", password: "quiet harbour pebble 58", name: "Tess Twofactor" };
/** Refusals this test provokes on purpose, which the browser logs as failed loads. */
const EXPECTED_REFUSALS: readonly (readonly [number, RegExp])[] = [
  [401, /^\/api\/session$/],
  [409, /^\/api\/users\/usr_/],
  [409, /^\/api\/repositories$/],
  [409, /^\/api\/settings$/],
  [409, /^\/api\/audit\/sinks$/],
  [400, /^\/api\/repositories$/],
  [503, /^\/api\/repositories$/],
  [502, /^\/api\/repositories\/[^/]+\/sync$/],
];

interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly role: string;
  readonly status: string;
  readonly twoFactor: boolean;
}

/**
 * The admin screens of the dashboard in a real Chromium against a real `package-broker serve`:
 * changing a role, blocking and unblocking, resetting a lost second factor; adding a git
 * repository (a bare repository made here), syncing it and reading its history, changing and
 * removing repositories, a composer upstream; editing business hours, retention and the legal
 * hold; adding an audit sink, testing, pausing and resuming it. Every change is read back through
 * the API. Hostile cases: invalid input is refused at the field before anything is sent, the
 * API's own refusals (the last admin, a taken name, a 2FA policy its admin cannot meet) appear at
 * the field they are about, a blocked person cannot sign in, and a viewer or maintainer sees no
 * admin action, even at an admin screen's address. Each state is photographed at 375 and 1,440 px
 * and checked with axe-core.
 */
describe.runIf(chromiumRequired())("the dashboard's admin screens in Chromium", () => {
  let root: string;
  let server: BrokerServer;
  let helper: http.Server;
  let helperUrl: string;
  const sinkDeliveries: string[] = [];
  let bareRepository: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const users = new Map<string, string>();

  function watch(target: Page, label: string): void {
    watchDashboardPage(target, label, problems, EXPECTED_REFUSALS);
  }

  /** The admin's session answers a management API call (the CSRF token from GET /api/session). */
  async function adminApi<T>(
    method: string,
    route: string,
    data?: unknown,
  ): Promise<{ status: number; body: T }> {
    const session = (await (await page.request.get(`${server.url}/api/session`)).json()) as {
      csrfToken: string;
    };
    const response = await page.request.fetch(`${server.url}${route}`, {
      method,
      headers: { "x-csrf-token": session.csrfToken },
      ...(data === undefined ? {} : { data }),
    });
    const text = await response.text();
    return { status: response.status(), body: (text === "" ? undefined : JSON.parse(text)) as T };
  }

  async function user(email: string): Promise<UserRecord> {
    const id = users.get(email) ?? "";
    return (await adminApi<UserRecord>("GET", `/api/users/${id}`)).body;
  }

  async function signInStatus(email: string, password: string): Promise<number> {
    const response = await fetch(`${server.url}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    return response.status;
  }

  async function heading(target: Page = page): Promise<string> {
    return (await target.locator("h1").first().textContent()) ?? "";
  }

  async function visit(link: string): Promise<void> {
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: link, exact: true })
      .click();
    await expect.poll(() => heading()).toBe(link);
    await page.locator(".state-loading").first().waitFor({ state: "detached" });
  }

  async function signIn(target: Page, email: string, password: string): Promise<void> {
    await submitSignIn(target, server.url, email, password);
  }

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-dashboard-admin-"));
    // The git repository the admin adds: a bare clone of a working copy with two tagged versions.
    const work = new GitFixture(path.join(root, "src/gadgets"));
    work.commit({ "composer.json": { name: "acme/gadgets", description: "Gadgets", license: "MIT" } });
    work.tag("v1.0.0");
    work.commit({ "README.md": "gadgets\n" });
    work.tag("v1.1.0");
    bareRepository = path.join(root, "gadgets.git");
    execFileSync("git", ["clone", "--quiet", "--bare", work.dir, bareRepository]);

    // One local HTTP server: a minimal Composer v2 repository, and a webhook receiver for the sink.
    helper = http.createServer((req, res) => {
      if (req.method === "POST") {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
        req.on("end", () => {
          sinkDeliveries.push(body);
          res.writeHead(200).end();
        });
        return;
      }
      if (req.url === "/packages.json") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ packages: [], "metadata-url": "/p2/%package%.json" }));
        return;
      }
      res.writeHead(404, { "content-type": "text/plain" }).end("not here");
    });
    await new Promise<void>((resolve) => helper.listen(0, "127.0.0.1", resolve));
    helperUrl = `http://127.0.0.1:${(helper.address() as AddressInfo).port}`;

    const port = await freePort();
    server = await BrokerServer.start(
      {
        PB_DATA_DIR: path.join(root, "data"),
        PB_BASE_URL: `http://127.0.0.1:${port}`,
        PB_ALLOW_PRIVATE_SOURCES: "true",
        PB_AUDIT_SINK_POLL_MS: "200",
      },
      port,
    );
    expect(await createFirstAdmin(server, ADMIN)).toBeLessThan(300);

    browser = await launchChromium();
    context = await browser.newContext({ viewport: DASHBOARD_VIEWPORTS[1] });
    await context.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    );
    page = await context.newPage();
    watch(page, "admin");
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.locator("h1", { hasText: "Overview" }).waitFor();

    for (const person of [MAINTAINER, VIEWER, PHONE_LOST, AUDITOR]) {
      const role = person === MAINTAINER ? "maintainer" : person === AUDITOR ? "auditor" : "viewer";
      const created = await adminApi<UserRecord>("POST", "/api/users", { ...person, role });
      expect(created.status).toBe(201);
      users.set(person.email, created.body.id);
    }
    users.set(ADMIN.email, (await adminApi<UserRecord>("GET", "/api/me")).body.id);
    // Tess turns on 2FA in her own session (then loses her phone).
    const tess = await apiRequest.newContext({ baseURL: server.url });
    try {
      const session = await tess.post("/api/session", {
        data: { email: PHONE_LOST.email, password: PHONE_LOST.password },
      });
      const { csrfToken } = (await session.json()) as { csrfToken: string };
      const started = await tess.post("/api/me/two-factor", { headers: { "x-csrf-token": csrfToken } });
      const { secret } = (await started.json()) as { secret: string };
      const code = new TOTP({
        secret: Secret.fromBase32(secret),
        algorithm: TOTP_ALGORITHM,
        digits: TOTP_DIGITS,
        period: TOTP_PERIOD_SECONDS,
      }).generate();
      const confirmed = await tess.post("/api/me/two-factor/confirm", {
        headers: { "x-csrf-token": csrfToken },
        data: { code },
      });
      expect(confirmed.status()).toBe(200);
    } finally {
      await tess.dispose();
    }
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await server.stop();
    await new Promise((resolve) => helper.close(resolve));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("changes a role, refuses to demote the last admin, blocks and unblocks, resets a lost second factor", async () => {
    await visit("Users");
    const manage = (name: string) => page.getByRole("button", { name: `Manage ${name}` });

    // A role change asks first, then the API reports it.
    await manage(MAINTAINER.name).click();
    const panel = page.getByRole("region", { name: `Manage ${MAINTAINER.name}` });
    expect(await panel.getByRole("button", { name: "Change role" }).isDisabled()).toBe(true);
    await panel.getByLabel("Role").selectOption("auditor");
    await panel.getByRole("button", { name: "Change role" }).click();
    await expect
      .poll(() => panel.getByText("Change Maya Maintainer's role from maintainer to auditor?").count())
      .toBe(1);
    await inspectDashboard(page, "users-role-confirm");
    await panel.getByRole("button", { name: "Yes, make auditor" }).click();
    await expect.poll(() => panel.getByRole("status").textContent()).toBe("Maya Maintainer is now auditor.");
    expect((await user(MAINTAINER.email)).role).toBe("auditor");
    await expect
      .poll(() =>
        page
          .getByRole("row", { name: new RegExp(MAINTAINER.name) })
          .getByRole("cell")
          .first()
          .textContent(),
      )
      .toBe("auditor");
    // Cancelling changes nothing.
    await panel.getByLabel("Role").selectOption("viewer");
    await panel.getByRole("button", { name: "Change role" }).click();
    await panel.getByRole("button", { name: "Cancel" }).click();
    expect((await user(MAINTAINER.email)).role).toBe("auditor");
    await panel.getByLabel("Role").selectOption("maintainer");
    await panel.getByRole("button", { name: "Change role" }).click();
    await panel.getByRole("button", { name: "Yes, make maintainer" }).click();
    await expect.poll(async () => (await user(MAINTAINER.email)).role).toBe("maintainer");

    // The API's refusal, at the field: the only admin cannot demote themselves.
    await manage(ADMIN.name).click();
    const self = page.getByRole("region", { name: `Manage ${ADMIN.name}` });
    await self.getByLabel("Role").selectOption("viewer");
    await self.getByRole("button", { name: "Change role" }).click();
    await self.getByRole("button", { name: "Yes, make viewer" }).click();
    await expect.poll(() => page.locator("#manage-role-error").textContent()).toContain("LastAdmin");
    expect(await self.getByLabel("Role").getAttribute("aria-invalid")).toBe("true");
    expect((await user(ADMIN.email)).role).toBe("admin");
    await inspectDashboard(page, "users-last-admin");

    // Blocking: asked first; the person then cannot sign in, in the API or in the dashboard.
    await manage(VIEWER.name).click();
    const viewerPanel = page.getByRole("region", { name: `Manage ${VIEWER.name}` });
    await viewerPanel.getByRole("button", { name: "Block", exact: true }).click();
    await inspectDashboard(page, "users-block-confirm");
    await viewerPanel.getByRole("button", { name: `Yes, block ${VIEWER.name}` }).click();
    await expect.poll(async () => (await user(VIEWER.email)).status).toBe("blocked");
    await expect.poll(() => viewerPanel.getByRole("button", { name: "Unblock" }).count()).toBe(1);
    expect(await signInStatus(VIEWER.email, VIEWER.password)).toBe(401);
    const blockedContext = await browser.newContext({ viewport: DASHBOARD_VIEWPORTS[0] });
    try {
      const blocked = await blockedContext.newPage();
      await signIn(blocked, VIEWER.email, VIEWER.password);
      await expect.poll(() => blocked.locator("#password-error").textContent()).toBeTruthy();
      expect(await heading(blocked)).toBe("Sign in");
    } finally {
      await blockedContext.close();
    }
    await inspectDashboard(page, "users-blocked");
    await viewerPanel.getByRole("button", { name: "Unblock" }).click();
    await viewerPanel.getByRole("button", { name: `Yes, unblock ${VIEWER.name}` }).click();
    await expect.poll(async () => (await user(VIEWER.email)).status).toBe("active");
    expect(await signInStatus(VIEWER.email, VIEWER.password)).toBe(200);

    // A lost phone: the second factor is reset (asked first), and the API says it is off.
    expect((await user(PHONE_LOST.email)).twoFactor).toBe(true);
    await manage(PHONE_LOST.name).click();
    const tessPanel = page.getByRole("region", { name: `Manage ${PHONE_LOST.name}` });
    await tessPanel.getByRole("button", { name: "Reset two-factor authentication" }).click();
    await tessPanel.getByRole("button", { name: "Yes, reset it" }).click();
    await expect.poll(async () => (await user(PHONE_LOST.email)).twoFactor).toBe(false);
    await expect.poll(() => tessPanel.getByText("Off: nothing to reset.").count()).toBe(1);
    // A password reset link, made after the question; it opens the reset page.
    await tessPanel.getByRole("button", { name: "Make a password reset link" }).click();
    await tessPanel.getByRole("button", { name: "Yes, make the link" }).click();
    const resetUrl = (await tessPanel.getByTestId("password-reset-link").textContent()) ?? "";
    expect(resetUrl).toMatch(/\/reset-password#[A-Za-z0-9_-]{43}$/);
    await inspectDashboard(page, "users-manage");
  }, 180_000);

  it("adds, syncs, changes and removes repositories, with their history and errors", async () => {
    await visit("Repositories");
    const form = page.getByRole("form", { name: "Add a repository" });
    // Checked before sending, like the API: no URL, a key that is no key.
    await form.getByRole("button", { name: "Add repository" }).click();
    await expect
      .poll(() => page.locator("#repo-url-error").textContent())
      .toBe("Enter the repository's URL.");
    await form.getByLabel("Credentials").selectOption("ssh");
    await form.getByLabel("SSH private key").fill("not a key");
    await form.getByRole("button", { name: "Add repository" }).click();
    await expect.poll(() => page.locator("#repo-ssh-key-error").textContent()).toContain("PEM private key");
    await inspectDashboard(page, "repositories-add-errors");
    await form.getByLabel("Credentials").selectOption("none");

    // A git repository: added, synced, its history read.
    await form.getByLabel("URL").fill(bareRepository);
    await form.getByLabel("Name").fill("gadgets");
    await form.getByRole("button", { name: "Add repository" }).click();
    const details = page.getByRole("region", { name: "gadgets" });
    await expect.poll(() => details.getByText("Not synced yet.").count()).toBe(1);
    await page.getByRole("button", { name: "Sync now gadgets" }).click();
    await expect.poll(() => page.getByText("gadgets synced.").count(), { timeout: 30_000 }).toBe(1);
    const history = details.getByRole("list", { name: "Sync history" });
    await expect.poll(() => history.locator("li").first().textContent()).toContain("succeeded");
    expect(await history.locator("li").first().textContent()).toContain("acme/gadgets");
    const listed = await adminApi<{ repositories: { id: string; name: string; status: string }[] }>(
      "GET",
      "/api/repositories",
    );
    const gadgets = listed.body.repositories.find((item) => item.name === "gadgets");
    expect(gadgets?.status).toBe("ok");
    const syncs = await adminApi<{ syncs: { status: string }[] }>(
      "GET",
      `/api/repositories/${gadgets?.id ?? ""}/syncs`,
    );
    expect(syncs.body.syncs.map((run) => run.status)).toEqual(["succeeded"]);
    await inspectDashboard(page, "repositories-history");

    // The API's refusal at the field: the name is taken.
    await form.getByLabel("URL").fill(bareRepository);
    await form.getByLabel("Name").fill("gadgets");
    await form.getByRole("button", { name: "Add repository" }).click();
    await expect.poll(() => page.locator("#repo-name-error").textContent()).toContain("already exists");
    expect(await form.getByLabel("Name").getAttribute("aria-invalid")).toBe("true");

    // A repository that cannot be fetched: the sync fails, and its history says why.
    await form.getByLabel("URL").fill(path.join(root, "missing.git"));
    await form.getByLabel("Name").fill("missing");
    await form.getByRole("button", { name: "Add repository" }).click();
    const missing = page.getByRole("region", { name: "missing" });
    await missing.getByText("Not synced yet.").waitFor();
    await page.getByRole("button", { name: "Sync now missing" }).click();
    await expect
      .poll(() => page.locator(".form-error").first().textContent())
      .toContain("missing: the sync failed:");
    await expect
      .poll(() => missing.getByRole("list", { name: "Sync history" }).locator("li").first().textContent())
      .toContain("failed");
    expect(await missing.locator(".sync-error").count()).toBeGreaterThan(0);
    await inspectDashboard(page, "repositories-sync-failed");
    // Removed, after the question.
    await missing.getByRole("button", { name: "Remove missing" }).click();
    await missing.getByRole("button", { name: "Yes, remove missing" }).click();
    await expect.poll(() => page.getByText("missing removed, with 0 versions.").count()).toBe(1);
    const afterRemoval = await adminApi<{ repositories: { name: string }[] }>("GET", "/api/repositories");
    expect(afterRemoval.body.repositories.map((item) => item.name)).toEqual(["gadgets"]);

    // Changed: a new name, read back through the API.
    await page.getByRole("button", { name: "Details of gadgets" }).click();
    await details.getByRole("button", { name: "Change gadgets" }).click();
    const edit = page.getByRole("form", { name: "Change gadgets" });
    await edit.getByLabel("Name").fill("gadgets renamed");
    await edit.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => page.locator("#edit-repo-name-error").textContent()).toContain("letters, digits");
    await edit.getByLabel("Name").fill("gadgets-renamed");
    await edit.getByLabel("Credentials").selectOption("basic");
    await edit.getByLabel("User name").fill("deploy");
    await edit.getByLabel("Password").fill("deploy-password");
    await inspectDashboard(page, "repositories-change");
    await edit.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => page.getByText("gadgets-renamed changed.").count()).toBe(1);
    interface Detail {
      name: string;
      hasCredentials: boolean;
    }
    const detail = async (): Promise<Detail> =>
      (await adminApi<Detail>("GET", `/api/repositories/${gadgets?.id ?? ""}`)).body;
    expect(await detail()).toEqual(
      expect.objectContaining({ name: "gadgets-renamed", hasCredentials: true }),
    );
    // Stored credentials are never shown: a change keeps, replaces or removes them.
    const renamedPanel = page.getByRole("region", { name: "gadgets-renamed" });
    await renamedPanel.getByRole("button", { name: "Change gadgets-renamed" }).click();
    const again = page.getByRole("form", { name: "Change gadgets-renamed" });
    expect(await again.getByLabel("Credentials").inputValue()).toBe("keep");
    await again.getByLabel("Credentials").selectOption("remove");
    await again.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(async () => (await detail()).hasCredentials).toBe(false);

    // A composer upstream with a token and package patterns; the API's refusal of a URL that
    // serves no Composer repository is shown at the URL.
    await form.getByLabel("composer: an upstream Composer repository, proxied").check();
    await form.getByLabel("URL").fill(`${helperUrl}/nothing-here`);
    await form.getByLabel("Name").fill("upstream");
    await form.getByRole("button", { name: "Add repository" }).click();
    await expect.poll(() => page.locator("#repo-url-error").textContent()).toBeTruthy();
    await form.getByLabel("URL").fill(helperUrl);
    await form.getByLabel("Credentials").selectOption("token");
    await form.getByLabel("Token").fill("upstream-secret-token");
    await form.getByLabel("Package patterns").fill("thirdparty/*");
    await form.getByLabel("Eager packages").fill("Not/A!");
    await form.getByRole("button", { name: "Add repository" }).click();
    await expect.poll(() => page.locator("#repo-eager-error").textContent()).toContain('"Not/A!"');
    await form.getByLabel("Eager packages").fill("");
    await form.getByRole("button", { name: "Add repository" }).click();
    const upstream = page.getByRole("region", { name: "upstream" });
    await expect
      .poll(() => upstream.getByRole("definition").filter({ hasText: "stored (never shown)" }).count())
      .toBe(1);
    await upstream.getByText("No version changed upstream after it was first seen.").waitFor();
    await upstream.getByText("No other upstream has a package of the same name.").waitFor();
    expect(await upstream.getByRole("heading", { name: "Upstream health" }).count()).toBe(1);
    const added = await adminApi<{
      repositories: { name: string; type: string; hasCredentials: boolean; packagePatterns: string[] }[];
    }>("GET", "/api/repositories");
    expect(added.body.repositories.find((item) => item.name === "upstream")).toMatchObject({
      type: "composer",
      hasCredentials: true,
      packagePatterns: ["thirdparty/*"],
    });
    await inspectDashboard(page, "repositories-upstream");
  }, 180_000);

  it("edits business hours, retention, the legal hold and shows the 2FA policy's refusal", async () => {
    await visit("Settings");
    // Business hours: a zone that does not exist is refused at the field; then saved and read back.
    await page.getByLabel("Time zone").fill("Mars/Olympus_Mons");
    await page.getByLabel("Start").fill("9am");
    await page.getByRole("button", { name: "Save business hours" }).click();
    await expect.poll(() => page.locator("#hours-time-zone-error").textContent()).toContain("IANA");
    expect(await page.locator("#hours-start-error").textContent()).toContain("HH:MM");
    await inspectDashboard(page, "settings-errors");
    await page.getByLabel("Time zone").fill("Europe/Berlin");
    await page.getByLabel("Start").fill("09:00");
    await page.getByLabel("Friday").uncheck();
    await page.getByRole("button", { name: "Save business hours" }).click();
    await expect
      .poll(() => page.getByRole("group", { name: "Confirm the business hours" }).textContent())
      .toContain("mon, tue, wed, thu, 09:00 to 18:00 (Europe/Berlin)");
    await inspectDashboard(page, "settings-confirm");
    await page.getByRole("button", { name: "Yes, save business hours" }).click();
    await expect.poll(() => page.getByText("Business hours saved.").count()).toBe(1);
    interface SettingsDoc {
      security: { requireTwoFactor: boolean };
      alerts: { businessHours: { timeZone: string; days: string[]; start: string; end: string } };
      audit: { retentionDays: Record<string, number>; legalHold: { active: boolean; reason: string | null } };
    }
    const settings = async (): Promise<SettingsDoc> =>
      (await adminApi<SettingsDoc>("GET", "/api/settings")).body;
    expect((await settings()).alerts.businessHours).toEqual({
      timeZone: "Europe/Berlin",
      days: ["mon", "tue", "wed", "thu"],
      start: "09:00",
      end: "18:00",
    });

    // Retention: out of range at the field; then a change, confirmed, read back.
    await page.getByLabel("authentication", { exact: true }).fill("0");
    await page.getByRole("button", { name: "Save retention" }).click();
    await expect
      .poll(() => page.locator("#retention-authentication-error").textContent())
      .toContain("1 to 36500");
    await page.getByLabel("authentication", { exact: true }).fill("730");
    await page.getByRole("button", { name: "Save retention" }).click();
    await expect
      .poll(() => page.getByRole("group", { name: "Confirm the retention" }).textContent())
      .toContain("authentication for 730 days");
    await page.getByRole("button", { name: "Yes, save retention" }).click();
    await expect.poll(() => page.getByText("Retention saved.").count()).toBe(1);
    const retention = (await settings()).audit.retentionDays;
    expect(retention.authentication).toBe(730);
    expect(retention.package_access).toBe(365);

    // The legal hold: a reason is needed; placed and released, each after the question.
    await page.getByRole("button", { name: "Place legal hold" }).click();
    await expect.poll(() => page.locator("#legal-hold-reason-error").textContent()).toContain("Say why");
    await page.getByLabel("Reason").fill("case 2026-114");
    await page.getByRole("button", { name: "Place legal hold" }).click();
    await page.getByRole("button", { name: "Yes, place the hold" }).click();
    await expect
      .poll(async () => (await settings()).audit.legalHold)
      .toMatchObject({ active: true, reason: "case 2026-114" });
    await expect.poll(() => page.getByText(/In force since/).count()).toBe(1);
    await inspectDashboard(page, "settings-legal-hold");
    await page.getByRole("button", { name: "Release the legal hold" }).click();
    await page.getByRole("button", { name: "Yes, release it" }).click();
    await expect.poll(async () => (await settings()).audit.legalHold.active).toBe(false);

    // The 2FA policy: this admin has no second factor, so the API refuses, and says so there.
    await page.getByLabel("Require two-factor authentication").check();
    await page.getByRole("button", { name: "Yes, require it" }).click();
    await expect
      .poll(() => page.locator("#require-two-factor-error").textContent())
      .toContain("TwoFactorRequiredForPolicy");
    expect(await page.getByLabel("Require two-factor authentication").isChecked()).toBe(false);
    expect((await settings()).security.requireTwoFactor).toBe(false);
    await inspectDashboard(page, "settings");
  }, 180_000);

  it("changes what the audit log keeps of IP addresses, after the question, and not when cancelled", async () => {
    await visit("Settings");
    interface IpModeDoc {
      audit: { ipMode: string; ipModeSource: string };
    }
    const ipMode = async (): Promise<IpModeDoc["audit"]> => {
      const { audit } = (await adminApi<IpModeDoc>("GET", "/api/settings")).body;
      return { ipMode: audit.ipMode, ipModeSource: audit.ipModeSource };
    };
    const before = await ipMode();
    expect(before).toEqual({ ipMode: "truncate", ipModeSource: "environment" });
    const panel = page.getByRole("region", { name: "IP addresses in the audit log" });
    await panel.getByText("From PB_AUDIT_IP_MODE until set here.", { exact: false }).waitFor();
    const group = panel.getByRole("group", { name: "IP mode" });
    expect(await group.getByRole("radio").count()).toBe(4);
    expect(await group.getByRole("radio", { name: /^Network only/ }).isChecked()).toBe(true);

    // Saving the mode in force is refused at the field before anything is sent.
    await panel.getByRole("button", { name: "Save IP mode" }).click();
    await expect.poll(() => page.locator("#ip-mode-error").textContent()).toContain("Nothing changed");

    // Chosen by keyboard, asked, cancelled: nothing changes.
    await group.getByRole("radio", { name: /^Network only/ }).focus();
    await page.keyboard.press("ArrowDown");
    expect(await group.getByRole("radio", { name: /^Pseudonym/ }).isChecked()).toBe(true);
    await panel.getByRole("button", { name: "Save IP mode" }).click();
    await expect
      .poll(() => page.getByRole("group", { name: "Confirm the IP mode" }).textContent())
      .toContain('from "Network only" to "Pseudonym"');
    await inspectDashboard(page, "settings-ip-mode-confirm");
    await page
      .getByRole("group", { name: "Confirm the IP mode" })
      .getByRole("button", { name: "Cancel" })
      .click();
    expect(await group.getByRole("radio", { name: /^Network only/ }).isChecked()).toBe(true);
    expect(await ipMode()).toEqual(before);

    // Chosen again and confirmed: read back through the API.
    await group.getByRole("radio", { name: /^Pseudonym/ }).check();
    await panel.getByRole("button", { name: "Save IP mode" }).click();
    await page.getByRole("button", { name: "Yes, change the IP mode" }).click();
    await expect
      .poll(() => panel.getByRole("status").textContent())
      .toContain("New audit events now keep: pseudonym.");
    expect(await ipMode()).toEqual({ ipMode: "hash", ipModeSource: "setting" });
    await panel.getByText("Set here; it overrides PB_AUDIT_IP_MODE.", { exact: false }).waitFor();
    expect(await group.getByRole("radio", { name: /^Pseudonym \(in force\)/ }).isChecked()).toBe(true);
    await inspectDashboard(page, "settings-ip-mode");

    // What the audit log recorded: the change, with before and after (once the search has it).
    const changes = async (): Promise<unknown[]> =>
      (
        await adminApi<{ events: { details: unknown }[] }>(
          "GET",
          `/api/audit/events?q=${encodeURIComponent("action:settings_changed")}`,
        )
      ).body.events.map((event) => event.details);
    await expect
      .poll(changes)
      .toContainEqual({ before: { "audit.ipMode": "truncate" }, after: { "audit.ipMode": "hash" } });
  }, 180_000);

  it("adds an audit sink, sends a test event, pauses and resumes it", async () => {
    await visit("Sinks");
    const form = page.getByRole("form", { name: "Add a sink" });
    await form.getByLabel("Receiver URL").fill("ftp://receiver.example");
    await form.getByLabel("Signing secret").fill("short");
    await form.getByRole("button", { name: "Add sink" }).click();
    await expect.poll(() => page.locator("#sink-url-error").textContent()).toContain("https://");
    expect(await page.locator("#sink-secret-error").textContent()).toContain("16 characters");
    await inspectDashboard(page, "sinks-add-errors");
    await form.getByLabel("Receiver URL").fill(`${helperUrl}/audit`);
    await form.getByLabel("Name").fill("soc-hook");
    await form.getByLabel("Signing secret").fill("a webhook signing secret");
    await form.getByLabel("new events only").check();
    await form.getByRole("button", { name: "Add sink" }).click();
    await expect.poll(() => page.getByRole("rowheader", { name: /soc-hook/ }).count()).toBe(1);
    // The API's refusal at the field: the name is taken.
    await form.getByLabel("Receiver URL").fill(`${helperUrl}/other`);
    await form.getByLabel("Name").fill("soc-hook");
    await form.getByLabel("Signing secret").fill("another signing secret");
    await form.getByRole("button", { name: "Add sink" }).click();
    await expect.poll(() => page.locator("#sink-name-error").textContent()).toContain("exists already");

    await page.getByRole("button", { name: "Send test to soc-hook" }).click();
    await expect
      .poll(() => page.getByTestId("sink-test-result").textContent())
      .toMatch(/^Test event delivered/);
    expect(sinkDeliveries.some((body) => body.includes("sink_test"))).toBe(true);
    await inspectDashboard(page, "sinks-test");

    interface SinkList {
      sinks: { name: string; paused: boolean }[];
    }
    const paused = async (): Promise<boolean | undefined> =>
      (await adminApi<SinkList>("GET", "/api/audit/sinks")).body.sinks.find(
        (sink) => sink.name === "soc-hook",
      )?.paused;
    // By keyboard alone: the question takes the focus, Tab reaches "Yes", "Cancel" gives the focus back.
    await page.getByRole("button", { name: "Pause soc-hook" }).focus();
    await page.keyboard.press("Enter");
    const focused = (): Promise<unknown> =>
      page.evaluate("document.activeElement?.getAttribute('aria-label')");
    await expect.poll(focused).toMatch(/^Pause soc-hook\?/);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await expect.poll(focused).toBe("Pause soc-hook");
    expect(await paused()).toBe(false);
    await page.keyboard.press("Enter");
    await expect.poll(focused).toMatch(/^Pause soc-hook\?/);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await expect.poll(paused).toBe(true);
    await expect.poll(() => page.getByRole("button", { name: "Resume soc-hook" }).count()).toBe(1);
    await inspectDashboard(page, "sinks-paused");
    await page.getByRole("button", { name: "Resume soc-hook" }).click();
    await page.getByRole("button", { name: "Yes, resume soc-hook" }).click();
    await expect.poll(paused).toBe(false);
  }, 120_000);

  it("shows a viewer, a maintainer and an auditor no admin action, even at an admin screen's address", async () => {
    for (const [person, nav] of [
      [VIEWER, ["Overview", "Packages", "Repositories", "Tokens", "Profile"]],
      [MAINTAINER, ["Overview", "Packages", "Repositories", "Tokens", "Profile"]],
    ] as const) {
      const other = await browser.newContext({ viewport: DASHBOARD_VIEWPORTS[0] });
      try {
        const view = await other.newPage();
        watch(view, person.email);
        await signIn(view, person.email, person.password);
        await expect.poll(() => heading(view)).toBe("Overview");
        expect(
          await view.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents(),
        ).toEqual(nav);
        await view
          .getByRole("navigation", { name: "Main" })
          .getByRole("link", { name: "Repositories" })
          .click();
        await expect.poll(() => heading(view)).toBe("Repositories");
        await view.locator(".state-loading").first().waitFor({ state: "detached" });
        await view.getByRole("button", { name: "Details of gadgets-renamed" }).click();
        const details = view.getByRole("region", { name: "gadgets-renamed" });
        await details.getByRole("list", { name: "Sync history" }).waitFor();
        const writer = person === MAINTAINER;
        expect(await view.getByRole("form", { name: "Add a repository" }).count()).toBe(writer ? 1 : 0);
        // A composer upstream without eager packages is not synced: no button for it.
        expect(await view.getByRole("button", { name: /^Sync now/ }).count()).toBe(writer ? 1 : 0);
        expect(await details.getByRole("button", { name: /^(Change|Remove) / }).count()).toBe(writer ? 2 : 0);
        const label = person === VIEWER ? "viewer" : "maintainer";
        await inspectDashboard(view, `repositories-${label}`);
        for (const screen of ["users", "settings", "sinks"]) {
          await view.goto(`${server.url}/ui/${screen}`);
          await expect.poll(() => heading(view)).toBe("Not available to your role");
          expect(await view.getByRole("button", { name: /Invite|Manage|Save|Add sink|Block/ }).count()).toBe(
            0,
          );
        }
        await inspectDashboard(view, `not-allowed-${label}`);
      } finally {
        await other.close();
      }
    }

    // An auditor reads the sinks, and changes none of them.
    const auditorContext = await browser.newContext({ viewport: DASHBOARD_VIEWPORTS[0] });
    try {
      const view = await auditorContext.newPage();
      watch(view, AUDITOR.email);
      await signIn(view, AUDITOR.email, AUDITOR.password);
      await expect.poll(() => heading(view)).toBe("Overview");
      const nav = view.getByRole("navigation", { name: "Main" });
      expect(await nav.getByRole("link").allTextContents()).toEqual([
        "Overview",
        "Tokens",
        "Audit log",
        "Alerts",
        "Sinks",
        "Profile",
      ]);
      await nav.getByRole("link", { name: "Sinks" }).click();
      await expect.poll(() => heading(view)).toBe("Sinks");
      await view.getByRole("rowheader", { name: /soc-hook/ }).waitFor();
      expect(await view.getByRole("form", { name: "Add a sink" }).count()).toBe(0);
      expect(await view.getByRole("button", { name: /Send test|Pause|Resume|Remove/ }).count()).toBe(0);
      await inspectDashboard(view, "sinks-auditor");
      await view.goto(`${server.url}/ui/repositories`);
      await expect.poll(() => heading(view)).toBe("Not available to your role");
    } finally {
      await auditorContext.close();
    }
    expect(problems).toEqual([]);
  }, 180_000);
});
