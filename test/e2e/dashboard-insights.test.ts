import fs from "node:fs";
import http from "node:http";
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
import { qrMatrix, qrPathData } from "../../ui/src/qr-code/qr-matrix.ts";
import { BrokerServer } from "../support/broker-process.ts";
import { chromiumRequired, launchChromium } from "../support/chromium.ts";
import { DASHBOARD_VIEWPORTS, inspectDashboard } from "../support/dashboard-inspect.ts";
import { freePort } from "../support/free-port.ts";
import { createFirstAdmin, submitSignIn, watchDashboardPage } from "../support/dashboard-session.ts";

const ADMIN = { email: "root@example.com", password: "correct horse battery 42", name: "Root Admin" };
const SECOND_ADMIN = { email: "ada@example.com", password: "lantern harbour quartz 19", name: "Ada Admin" };
const AUDITOR = { email: "audra@example.com", password: "granite meadow violin 64", name: "Audra Auditor" };
/** The signed-out session check, and the search this test gets wrong on purpose (the list and the histogram). */
const EXPECTED_REFUSALS: readonly (readonly [number, RegExp])[] = [
  [401, /^\/api\/session$/],
  [400, /^\/api\/audit\/events$/],
  [400, /^\/api\/audit\/histogram$/],
];

interface ApiAlert {
  readonly id: string;
  readonly ruleId: string;
  readonly ruleName: string;
  readonly title: string;
  readonly status: string;
  readonly note: string | null;
  readonly evidence: readonly { readonly id: string; readonly seq: number }[];
}

/**
 * The dashboard's insight features in a real Chromium against a real `package-broker serve`: the
 * QR code of the two-factor key (the SVG path is exactly the modules of the otpauth:// link shown
 * beside it), the audit log's histogram brushed with the mouse and with the keyboard into a
 * `created:` search, and an alert's details (rule description, notifications, evidence events
 * opening in the event drawer) acknowledged with a note. Hostile: a refused search, a note over the
 * limit, and an auditor, who sees alerts but cannot acknowledge them.
 */
describe.runIf(chromiumRequired())("the dashboard's insights in Chromium", () => {
  let root: string;
  let server: BrokerServer;
  let hook: http.Server;
  const hookBodies: string[] = [];
  let admin: APIRequestContext;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  function watch(target: Page, label: string): void {
    watchDashboardPage(target, label, problems, EXPECTED_REFUSALS);
  }

  async function signIn(target: Page, email: string, password: string): Promise<void> {
    await submitSignIn(target, server.url, email, password);
    await target.getByRole("navigation", { name: "Main" }).waitFor();
  }

  async function visit(target: Page, link: string, heading: string): Promise<void> {
    await target
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: link, exact: true })
      .click();
    await target.locator("h1", { hasText: heading }).waitFor();
  }

  async function settled(target: Page): Promise<void> {
    await expect.poll(() => target.locator(".state-loading").count()).toBe(0);
  }

  async function madeAdminAlert(): Promise<ApiAlert> {
    let found: ApiAlert | undefined;
    await expect
      .poll(
        async () => {
          const page = (await (await admin.get("/api/alerts?limit=100")).json()) as { alerts: ApiAlert[] };
          found = page.alerts.find(
            (alert) => alert.ruleName === "pb_user_made_admin" && alert.evidence.length > 0,
          );
          return found !== undefined;
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    const id = found?.id ?? "";
    return (await (await admin.get(`/api/alerts/${id}`)).json()) as ApiAlert;
  }

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-dashboard-insights-"));
    hook = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        hookBodies.push(Buffer.concat(chunks).toString("utf8"));
        response.writeHead(204).end();
      });
    });
    const hookPort = await freePort();
    await new Promise<void>((resolve) => hook.listen(hookPort, "127.0.0.1", resolve));
    const port = await freePort();
    server = await BrokerServer.start(
      {
        PB_DATA_DIR: path.join(root, "data"),
        PB_BASE_URL: `http://127.0.0.1:${port}`,
        PB_ALERT_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/alerts`,
      },
      port,
    );
    expect(await createFirstAdmin(server, ADMIN)).toBeLessThan(300);
    admin = await apiRequest.newContext({ baseURL: server.url });
    const session = await admin.post("/api/session", {
      data: { email: ADMIN.email, password: ADMIN.password },
    });
    const csrf = ((await session.json()) as { csrfToken: string }).csrfToken;
    for (const [person, role] of [
      [AUDITOR, "auditor"],
      [SECOND_ADMIN, "admin"],
    ] as const) {
      const created = await admin.post("/api/users", {
        headers: { "x-csrf-token": csrf },
        data: { ...person, role },
      });
      expect(created.status()).toBe(201);
    }

    browser = await launchChromium();
    context = await browser.newContext({ viewport: DASHBOARD_VIEWPORTS[1] });
    await context.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    );
    page = await context.newPage();
    watch(page, "admin");
    await signIn(page, ADMIN.email, ADMIN.password);
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await admin.dispose();
    await server.stop();
    await new Promise((resolve) => hook.close(resolve));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("shows the two-factor key as a QR code of exactly the otpauth:// link beside it", async () => {
    await visit(page, "Profile", "Profile");
    await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
    const qr = page.getByRole("img", { name: /QR code of your two-factor key/ });
    await qr.waitFor();
    const link = page.getByTestId("totp-uri");
    const uri = (await link.getAttribute("href")) ?? "";
    const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(uri).searchParams.get("secret")).toBe(secret);
    expect(await link.textContent()).toBe(uri);
    // No decoder is bundled: the drawn path must be the modules of that very link, quiet zone included.
    const matrix = qrMatrix(uri);
    expect(await qr.getAttribute("data-version")).toBe(String(matrix.version));
    expect(await qr.getAttribute("viewBox")).toBe(`0 0 ${String(matrix.size)} ${String(matrix.size)}`);
    expect(await qr.locator("path.qr-dark").getAttribute("d")).toBe(qrPathData(matrix));
    expect(await qr.locator("[style]").count()).toBe(0);
    const box = await qr.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThanOrEqual(150);
    expect(box?.width).toBeCloseTo(box?.height ?? 0, 0);
    await inspectDashboard(page, "insights-profile-qr");
  });

  it("counts the search's events over time and narrows it by dragging across the histogram", async () => {
    await visit(page, "Audit log", "Audit log");
    await settled(page);
    const chart = page.getByTestId("audit-histogram");
    await chart.waitFor();
    expect(await chart.getAttribute("role")).toBe("img");
    expect(await chart.locator("title").textContent()).toMatch(/^Events over time, /);
    expect(await chart.locator("desc").textContent()).toMatch(/events in \d+ bars/);
    const coverage = (await page.getByTestId("histogram-coverage").textContent()) ?? "";
    const counted = Number(/Counts all (\d+) events/.exec(coverage)?.[1]);
    expect(counted).toBeGreaterThan(0);
    const cells = await page.getByTestId("histogram-table").locator("tbody td").allTextContents();
    expect(cells.reduce((sum, cell) => sum + Number(cell), 0)).toBe(counted);
    await inspectDashboard(page, "insights-audit-histogram");

    const box = await chart.boundingBox();
    if (box === null) throw new Error("the histogram is not shown");
    await page.mouse.move(box.x + 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const searchBox = page.getByRole("combobox", { name: "Search" });
    await expect.poll(() => searchBox.inputValue()).toMatch(/^created:\S+\.\.\S+$/);
    const dragged = await searchBox.inputValue();
    // The narrowed search is run: the API accepts it and the whole (older) range is still counted.
    await settled(page);
    expect(await page.locator("#audit-query-error").count()).toBe(0);
    expect(await page.locator(".audit-table tbody tr").count()).toBeGreaterThan(0);
    const [from, to] = dragged.slice("created:".length).split("..");
    expect(Date.parse(from ?? "")).toBeLessThanOrEqual(Date.parse(to ?? ""));
  });

  it("narrows the search from the keyboard with the range inputs", async () => {
    const searchBox = page.getByRole("combobox", { name: "Search" });
    await searchBox.fill("");
    await searchBox.press("Enter");
    await settled(page);
    const start = page.getByLabel("Range start");
    const end = page.getByLabel("Range end");
    const last = Number(await end.getAttribute("max"));
    await start.focus();
    await page.keyboard.press("End");
    await end.focus();
    await page.keyboard.press("End");
    expect(await start.inputValue()).toBe(String(last));
    expect(await start.getAttribute("aria-valuetext")).toMatch(/UTC|^\d{4}-\d{2}-\d{2}$/);
    const apply = page.getByRole("button", { name: /^Show events from / });
    await apply.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => searchBox.inputValue()).toMatch(/^created:\S+\.\.\S+$/);
    await settled(page);
    expect(await page.locator("#audit-query-error").count()).toBe(0);
    // The last bar holds the newest events: at least the one the keyboard started from.
    expect(await page.locator(".audit-table tbody tr").count()).toBeGreaterThan(0);
  });

  it("draws exactly the counts of GET /api/audit/histogram for the search", async () => {
    const searchBox = page.getByRole("combobox", { name: "Search" });
    // Not the audit log's own reads: those grow with every request this test makes.
    await searchBox.fill("-event:audit");
    await searchBox.press("Enter");
    await settled(page);
    const coverage = page.getByTestId("histogram-coverage");
    await coverage.waitFor();
    const from = (await coverage.getAttribute("data-from")) ?? "";
    const to = (await coverage.getAttribute("data-to")) ?? "";
    const params = new URLSearchParams({ q: "-event:audit", buckets: "60", from, to });
    const answer = (await (await admin.get(`/api/audit/histogram?${params.toString()}`)).json()) as {
      total: number;
      bucketSeconds: number;
      buckets: { start: string; count: number }[];
    };
    expect(answer.total).toBeGreaterThan(0);
    const cells = await page.getByTestId("histogram-table").locator("tbody td").allTextContents();
    expect(cells.map(Number)).toEqual(answer.buckets.map((bucket) => bucket.count));
    expect(Number(/Counts all (\d+) events/.exec((await coverage.textContent()) ?? "")?.[1])).toBe(
      answer.total,
    );
    const rects = page.getByTestId("audit-histogram").locator("rect[data-count]");
    const bars: [string | null, number][] = [];
    for (let index = 0; index < (await rects.count()); index += 1) {
      const rect = rects.nth(index);
      bars.push([await rect.getAttribute("data-start"), Number(await rect.getAttribute("data-count"))]);
    }
    expect(bars).toEqual(
      answer.buckets.filter((bucket) => bucket.count > 0).map((bucket) => [bucket.start, bucket.count]),
    );
  });

  it("says so when the search is refused or matches nothing, instead of drawing a chart", async () => {
    const searchBox = page.getByRole("combobox", { name: "Search" });
    await searchBox.fill("created:2026-02-30");
    await searchBox.press("Enter");
    await expect.poll(() => page.getByText("The events over time could not be counted").count()).toBe(1);
    expect(await page.getByTestId("audit-histogram").count()).toBe(0);
    await searchBox.fill('"no event has this text 7f3c"');
    await searchBox.press("Enter");
    await expect.poll(() => page.getByText("No event to count.").count()).toBe(1);
  });

  it("opens an alert with its rule, notifications and evidence, and acknowledges it with a note", async () => {
    const alert = await madeAdminAlert();
    const rules = (await (await admin.get("/api/alerts/rules")).json()) as {
      rules: { id: string; description: string | null }[];
    };
    const description = rules.rules.find((rule) => rule.id === alert.ruleId)?.description ?? "";
    expect(description).not.toBe("");
    await visit(page, "Alerts", "Alerts");
    const panel = page.getByRole("region", { name: "Open alerts" });
    await settled(page);
    const item = panel.locator("li", { hasText: alert.title }).first();
    await item.getByRole("button", { name: /^Details/ }).click();
    const details = item.getByTestId("alert-details");
    await details.waitFor();
    await settled(page);
    await expect.poll(() => details.getByTestId("alert-rule-description").textContent()).toBe(description);
    expect(await details.getByTestId("alert-response").textContent()).toContain("None");
    // The webhook channel got the alert (or will, on a retry): its state is on the alert.
    const notifications = details.getByRole("region", { name: "Notifications" });
    expect(await notifications.locator("tbody th").allTextContents()).toEqual(["webhook"]);
    await expect
      .poll(() => hookBodies.some((body) => body.includes(alert.id)), { timeout: 15_000 })
      .toBe(true);
    const evidenceRows = details.getByTestId("alert-evidence").locator("tbody tr");
    expect(await evidenceRows.count()).toBe(alert.evidence.length);
    const first = alert.evidence[0];
    if (first === undefined) throw new Error("the alert has no evidence");
    expect(await evidenceRows.first().getAttribute("data-seq")).toBe(String(first.seq));
    await inspectDashboard(page, "insights-alert-details");

    // An evidence event opens in the audit event drawer, and Escape gives the focus back.
    // Named from the search of the alert's time: the evidence is the new admin's user/created event.
    const opener = details.locator(`button[data-event-id="${first.id}"]`);
    await expect.poll(() => opener.textContent()).toBe("user/created");
    await opener.click();
    const drawer = page.getByRole("dialog");
    await drawer.waitFor();
    expect(await drawer.locator("h2").textContent()).toContain(`Event #${String(first.seq)}`);
    await page.keyboard.press("Escape");
    await drawer.waitFor({ state: "detached" });
    expect(
      await page.evaluate<string | null>("document.activeElement?.getAttribute('data-event-id') ?? null"),
    ).toBe(first.id);

    // Hostile: a note over 1,000 characters is refused in the form, and the alert stays open.
    const note = details.getByLabel(/^Note/);
    await note.fill("x".repeat(1001));
    await details.getByRole("button", { name: /^Acknowledge/ }).click();
    await expect.poll(() => details.locator(".field-error").textContent()).toMatch(/1000 characters/);
    expect(((await (await admin.get(`/api/alerts/${alert.id}`)).json()) as ApiAlert).status).toBe("open");

    await note.fill("Ada was made admin on purpose: the new on-call lead.");
    await details.getByRole("button", { name: /^Acknowledge/ }).click();
    await expect.poll(() => page.getByTestId("alerts-notice").textContent()).toContain("Acknowledged");
    const stored = (await (await admin.get(`/api/alerts/${alert.id}`)).json()) as ApiAlert;
    expect(stored.status).toBe("acknowledged");
    expect(stored.note).toBe("Ada was made admin on purpose: the new on-call lead.");

    await page.getByRole("button", { name: "Acknowledged", exact: true }).click();
    const done = page.getByRole("region", { name: "Acknowledged alerts" });
    await settled(page);
    const doneItem = done.locator("li", { hasText: alert.title }).first();
    await doneItem.getByRole("button", { name: /^Details/ }).click();
    await expect
      .poll(() => doneItem.getByTestId("alert-status").textContent())
      .toContain("Ada was made admin on purpose");
    expect(await doneItem.getByRole("button", { name: /^Acknowledge/ }).count()).toBe(0);

    // The evidence's time opens as a search in the audit log, which finds the evidence event.
    await doneItem.getByRole("link", { name: "search the audit log for this time" }).click();
    await page.locator("h1", { hasText: "Audit log" }).waitFor();
    expect(await page.getByRole("combobox", { name: "Search" }).inputValue()).toMatch(/^created:\S+\.\.\S+$/);
    await settled(page);
    expect(await page.locator(`.audit-table tbody tr[data-seq="${String(first.seq)}"]`).count()).toBe(1);
  });

  it("shows an auditor the alert's details but no acknowledgement", async () => {
    const alert = await madeAdminAlert();
    const auditorContext = await browser.newContext({ viewport: DASHBOARD_VIEWPORTS[1] });
    const auditorPage = await auditorContext.newPage();
    watch(auditorPage, "auditor");
    await signIn(auditorPage, AUDITOR.email, AUDITOR.password);
    await visit(auditorPage, "Alerts", "Alerts");
    await auditorPage.getByRole("button", { name: "Acknowledged", exact: true }).click();
    await settled(auditorPage);
    const item = auditorPage
      .getByRole("region", { name: "Acknowledged alerts" })
      .locator("li", { hasText: alert.title })
      .first();
    await item.getByRole("button", { name: /^Details/ }).click();
    await item.getByTestId("alert-evidence").waitFor();
    expect(await item.getByLabel(/^Note/).count()).toBe(0);
    await auditorContext.close();
  });

  it("logged no unexpected console error, failed load or CSP violation", () => {
    expect(problems).toEqual([]);
  });
});
