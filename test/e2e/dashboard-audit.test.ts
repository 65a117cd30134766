import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  request as apiRequest,
  type APIRequestContext,
  type Browser,
  type BrowserContext,
  type Page,
} from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageZip } from "../builders/test-runtime.ts";
import { BrokerServer } from "../support/broker-process.ts";
import { chromiumRequired, launchChromium } from "../support/chromium.ts";
import { DASHBOARD_VIEWPORTS, inspectDashboard } from "../support/dashboard-inspect.ts";
import { freePort } from "../support/free-port.ts";
import { createFirstAdmin, submitSignIn, watchDashboardPage } from "../support/dashboard-session.ts";

const ADMIN = { email: "root@example.com", password: "correct horse battery 42", name: "Root Admin" };
const AUDITOR = { email: "audra@example.com", password: "granite meadow violin 64", name: "Audra Auditor" };
const VIEWER = { email: "vic@example.com", password: "plum orchard sunrise 77", name: "Vic Viewer" };
/**
 * The signed-out session check and the search this test gets wrong on purpose (refused by the list
 * and by the histogram above it), which the browser logs as failed loads.
 */
const EXPECTED_REFUSALS: readonly (readonly [number, RegExp])[] = [
  [401, /^\/api\/session$/],
  [400, /^\/api\/audit\/events$/],
  [400, /^\/api\/audit\/histogram$/],
];
const PAGE_SIZE = 25;

/**
 * The audit log screen in a real Chromium against a real `package-broker serve`, as an auditor
 * (audit:read and nothing else): a real package download with a token is found with the filters,
 * its drawer opened from the keyboard shows every field and the inclusion proof checked in the
 * browser (the checkpoint's Ed25519 signature with WebCrypto, the RFC 9162 proof to its root),
 * Escape closes it and gives the focus back; scrolling to the end or "Load more" appends the next page; the search
 * exports as CSV (the downloaded file is read) and in every other format; the whole log verifies.
 * Hostile: a proof answer changed on its way to the browser is "Not verified", a search the API
 * refuses shows at the field, and a viewer has no audit log.
 */
describe.runIf(chromiumRequired())("the dashboard's audit log in Chromium", () => {
  let root: string;
  let server: BrokerServer;
  let admin: APIRequestContext;
  let adminCsrf: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let downloadEventId: string;
  let downloadDay: string;
  const problems: string[] = [];

  function watch(target: Page, label: string): void {
    watchDashboardPage(target, label, problems, EXPECTED_REFUSALS);
  }

  async function signIn(target: Page, email: string, password: string): Promise<void> {
    await submitSignIn(target, server.url, email, password);
    await target.getByRole("navigation", { name: "Main" }).waitFor();
  }

  async function eventRows(): Promise<number[]> {
    const rows = await page.locator(".audit-table tbody tr").all();
    return Promise.all(rows.map(async (row) => Number(await row.getAttribute("data-seq"))));
  }

  async function settled(): Promise<void> {
    await page.locator(".state-loading").first().waitFor({ state: "detached" });
  }

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-dashboard-audit-"));
    const port = await freePort();
    server = await BrokerServer.start(
      { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: `http://127.0.0.1:${port}` },
      port,
    );
    expect(await createFirstAdmin(server, ADMIN)).toBeLessThan(300);

    // The admin, through the API: the people, a token, a package, and one real download with the token.
    admin = await apiRequest.newContext({ baseURL: server.url });
    const session = await admin.post("/api/session", {
      data: { email: ADMIN.email, password: ADMIN.password },
    });
    adminCsrf = ((await session.json()) as { csrfToken: string }).csrfToken;
    for (const [person, role] of [
      [AUDITOR, "auditor"],
      [VIEWER, "viewer"],
    ] as const) {
      const created = await admin.post("/api/users", {
        headers: { "x-csrf-token": adminCsrf },
        data: { ...person, role },
      });
      expect(created.status()).toBe(201);
    }
    const token = await admin.post("/api/tokens", {
      headers: { "x-csrf-token": adminCsrf },
      data: { description: "CI", scopes: ["read", "write"] },
    });
    expect(token.status()).toBe(201);
    const secret = ((await token.json()) as { token: string }).token;
    const auth = { authorization: `Bearer ${secret}` };
    const upload = await fetch(`${server.url}/api/packages/upload`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/zip" },
      body: new Uint8Array(packageZip("acme/widgets", "1.0.0")),
    });
    expect(upload.status).toBe(201);
    const metadata = (await (
      await fetch(`${server.url}/p2/acme/widgets.json`, { headers: auth })
    ).json()) as {
      packages: Record<string, { dist: { url: string } }[]>;
    };
    const distUrl = metadata.packages["acme/widgets"]?.[0]?.dist.url ?? "";
    const dist = await fetch(distUrl, { headers: auth });
    expect(dist.status).toBe(200);
    await dist.arrayBuffer();
    const found = (await (
      await admin.get(`/api/audit/events?q=${encodeURIComponent("event:package_access action:download")}`)
    ).json()) as { events: { id: string; timestamp: string }[] };
    expect(found.events).toHaveLength(1);
    downloadEventId = found.events[0]?.id ?? "";
    downloadDay = found.events[0]?.timestamp.slice(0, 10) ?? "";
    // More events than two pages hold: each search is an audit event.
    for (let index = 0; index < 2 * PAGE_SIZE; index++) {
      expect((await admin.get("/api/audit/events?limit=1")).status()).toBe(200);
    }

    browser = await launchChromium();
    context = await browser.newContext({ viewport: DASHBOARD_VIEWPORTS[1], acceptDownloads: true });
    await context.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    );
    page = await context.newPage();
    watch(page, "auditor");
    await signIn(page, AUDITOR.email, AUDITOR.password);
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await admin.dispose();
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("lists events newest first and appends the next page when the list's end scrolls into view, or on Load more", async () => {
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Audit log", exact: true })
      .click();
    await page.locator("h1", { hasText: "Audit log" }).waitFor();
    await settled();
    const first = await eventRows();
    expect(first).toHaveLength(PAGE_SIZE);
    // Infinite scroll: the end of the list comes into view, the next page follows.
    await page.getByRole("button", { name: "Load more" }).scrollIntoViewIfNeeded();
    await expect.poll(async () => (await eventRows()).length).toBe(2 * PAGE_SIZE);
    // The button, by keyboard, does the same (once, even if the scroll asks too).
    await page.getByRole("button", { name: "Load more" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await eventRows()).length).toBeGreaterThan(2 * PAGE_SIZE);
    const all = await eventRows();
    // Appended, not replaced: the first page is still on top, the next follow, newest first, no repeats.
    expect(all.slice(0, PAGE_SIZE)).toEqual(first);
    expect(all.every((seq, index) => index === 0 || seq < (all[index - 1] ?? 0))).toBe(true);
    expect(new Set(all).size).toBe(all.length);
    await inspectDashboard(page, "audit-log");
  });

  it("composes the search from the filters and completes qualifiers", async () => {
    const searchBox = page.getByRole("combobox", { name: "Search" });
    await searchBox.fill("sev");
    await expect
      .poll(() => page.locator('#audit-query-completions option[value="severity:"]').count())
      .toBe(1);
    await searchBox.fill("outcome:d");
    await expect
      .poll(() => page.locator('#audit-query-completions option[value="outcome:denied"]').count())
      .toBe(1);
    await searchBox.fill("");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await settled();

    await page.getByLabel("Category").selectOption("package_access");
    await expect.poll(() => searchBox.inputValue()).toBe("event:package_access");
    await page.getByLabel("Action").fill("download");
    await page.getByLabel("Action").press("Enter");
    await expect.poll(() => searchBox.inputValue()).toBe("event:package_access action:download");
    await page.getByLabel("Outcome").selectOption("success");
    await expect
      .poll(() => searchBox.inputValue())
      .toBe("event:package_access action:download outcome:success");
    await expect.poll(async () => (await eventRows()).length).toBe(1);
    // The day pickers write one created: range; emptied, it goes.
    await page.getByLabel("From (UTC day)").fill(downloadDay);
    await expect
      .poll(() => searchBox.inputValue())
      .toBe(`event:package_access action:download outcome:success created:${downloadDay}..*`);
    await page.getByLabel("To (UTC day)").fill(downloadDay);
    await expect
      .poll(() => searchBox.inputValue())
      .toBe(`event:package_access action:download outcome:success created:${downloadDay}..${downloadDay}`);
    await expect.poll(async () => (await eventRows()).length).toBe(1);
    await page.getByLabel("From (UTC day)").fill("");
    await page.getByLabel("To (UTC day)").fill("");
    await expect
      .poll(() => searchBox.inputValue())
      .toBe("event:package_access action:download outcome:success");
    await expect.poll(async () => (await eventRows()).length).toBe(1);
    await page.locator(".audit-help summary").click();
    await expect.poll(() => page.locator(".audit-help-body").isVisible()).toBe(true);
    await inspectDashboard(page, "audit-log-filtered");
    await page.locator(".audit-help summary").click();
  });

  it("opens the download's event from the keyboard and verifies its inclusion proof in the browser", async () => {
    const open = page
      .locator(".audit-table tbody tr")
      .first()
      .getByRole("button", { name: "package_access/download" });
    // The row's time is the event's, in UTC as the drawer and the `created:` qualifier have it.
    const proofAnswer = (await (await admin.get(`/api/audit/events/${downloadEventId}/proof`)).json()) as {
      event: { timestamp: string };
    };
    const shown = proofAnswer.event.timestamp.slice(0, 19).replace("T", " ");
    expect(await page.locator(".audit-table tbody tr").first().locator("time").textContent()).toBe(
      `${shown} UTC`,
    );
    await open.focus();
    await page.keyboard.press("Enter");
    const drawer = page.getByRole("dialog", { name: /Event #\d+: package_access\/download/ });
    await drawer.waitFor();
    const result = drawer.getByTestId("audit-proof-result");
    await expect
      .poll(() => result.textContent(), { timeout: 15_000 })
      .toMatch(/^Verified against checkpoint \d+ \(signed by \S+\+[0-9a-f]{8}\)/);
    // Every field of the event, as the API has it.
    const fields = await drawer.locator(".audit-fields dt").allTextContents();
    const event = (await (await admin.get(`/api/audit/events/${downloadEventId}/proof`)).json()) as {
      event: Record<string, unknown>;
    };
    expect(fields).toEqual(Object.keys(event.event));
    expect(await drawer.textContent()).toContain(downloadEventId);
    expect(await drawer.textContent()).toContain("acme/widgets");
    await inspectDashboard(page, "audit-event-drawer");
    await page.keyboard.press("Escape");
    await drawer.waitFor({ state: "detached" });
    expect(await page.evaluate<string | null>("document.activeElement?.textContent ?? null")).toBe(
      "package_access/download",
    );
  });

  it("says Not verified when the server's proof answer is changed on its way to the browser", async () => {
    // The real answer with one byte of the event changed: what a server rewriting its log would send.
    await page.route("**/api/audit/events/*/proof*", async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { event: { action: string } };
      body.event.action = "downloae";
      await route.fulfill({ response, json: body });
    });
    try {
      await page
        .locator(".audit-table tbody tr")
        .first()
        .getByRole("button", { name: "package_access/download" })
        .click();
      const drawer = page.getByRole("dialog");
      await expect
        .poll(() => drawer.getByTestId("audit-proof-result").textContent(), { timeout: 15_000 })
        .toMatch(/^Not verified: the event does not hash to the proven leaf/);
      await inspectDashboard(page, "audit-event-drawer-tampered");
      await drawer.getByRole("button", { name: "Close" }).click();
      await drawer.waitFor({ state: "detached" });
    } finally {
      await page.unroute("**/api/audit/events/*/proof*");
    }
  });

  it("exports the search as CSV through the API and offers every format", async () => {
    const links = page.getByRole("region", { name: "Export and verify" }).getByRole("link");
    const formats = await Promise.all((await links.all()).map((link) => link.getAttribute("data-format")));
    expect(formats).toEqual(["jsonl", "csv", "ecs", "ocsf", "cef", "bundle"]);
    const query = "event:package_access action:download outcome:success";
    for (const format of ["jsonl", "csv", "ecs", "ocsf", "cef", "bundle"]) {
      const href = await page.locator(`a[data-format="${format}"]`).getAttribute("href");
      expect(href).toBe(`/api/audit/export?${new URLSearchParams({ format, q: query }).toString()}`);
    }
    const [csv] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "CSV", exact: true }).click(),
    ]);
    const text = fs.readFileSync(await csv.path(), "utf8");
    const lines = text.split("\r\n").filter((line) => line !== "");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^[a-z_]+(,[a-z_.]+)+$/);
    expect(lines[1]).toContain(downloadEventId);
    expect(lines[1]).toContain("acme/widgets");

    const [bundle] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Verifiable bundle", exact: true }).click(),
    ]);
    const header = JSON.parse(fs.readFileSync(await bundle.path(), "utf8").split("\n")[0] ?? "") as {
      type: string;
      format: string;
    };
    expect(header).toMatchObject({ type: "header", format: "package-broker-audit-bundle" });
  });

  it("verifies the whole log on demand", async () => {
    await page.getByRole("button", { name: "Verify the whole log" }).click();
    await expect
      .poll(() => page.getByTestId("audit-log-verification").textContent(), { timeout: 30_000 })
      .toMatch(/^The whole log verifies: \d+ events/);
    await inspectDashboard(page, "audit-log-verified");
  });

  it("shows a search the API refuses at the field, and clears it with a good one", async () => {
    const searchBox = page.getByRole("combobox", { name: "Search" });
    await searchBox.fill("event:nope");
    await searchBox.press("Enter");
    await expect.poll(() => searchBox.getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#audit-query-error").textContent()).toMatch(/nope/);
    await inspectDashboard(page, "audit-log-bad-query");
    await searchBox.fill("");
    await searchBox.press("Enter");
    await expect.poll(() => searchBox.getAttribute("aria-invalid")).toBe(null);
  });

  it("has no audit log for a viewer", async () => {
    const viewer = await context.browser()?.newContext({ viewport: DASHBOARD_VIEWPORTS[1] });
    if (viewer === undefined) throw new Error("no browser");
    try {
      const viewerPage = await viewer.newPage();
      await signIn(viewerPage, VIEWER.email, VIEWER.password);
      const nav = viewerPage.getByRole("navigation", { name: "Main" });
      expect(await nav.getByRole("link", { name: "Audit log", exact: true }).count()).toBe(0);
      await viewerPage.goto(`${server.url}/ui/audit-log`);
      await expect
        .poll(() => viewerPage.locator("h1").first().textContent())
        .toBe("Not available to your role");
    } finally {
      await viewer.close();
    }
    expect(problems).toEqual([]);
  });
});
