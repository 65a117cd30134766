import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageZip } from "../builders/test-runtime.ts";
import { BrokerServer } from "../support/broker-process.ts";
import { chromiumRequired, launchChromium } from "../support/chromium.ts";
import { DASHBOARD_VIEWPORTS, inspectDashboard } from "../support/dashboard-inspect.ts";
import { freePort } from "../support/free-port.ts";
import { createFirstAdmin, submitSignIn, watchDashboardPage } from "../support/dashboard-session.ts";

const ADMIN = { email: "root@example.com", password: "correct horse battery 42", name: "Root Admin" };
const VIEWER = { email: "vic@example.com", password: "plum orchard sunrise 77", name: "Vic Viewer" };
const AUDITOR = { email: "audra@example.com", password: "granite meadow violin 64", name: "Audra Auditor" };
/** More packages than two pages of the list (50): one for scrolling to append, one for "Load more". */
const FILLERS = 102;
/** Refusals this test provokes on purpose (the signed-out session check, unknown packages), which the browser logs as failed loads. */
const EXPECTED_REFUSALS: readonly (readonly [number, RegExp])[] = [
  [401, /^\/api\/session$/],
  [404, /^\/api\/packages\/acme\/does-not-exist$/],
  [404, /^\/api\/packages\/acme\/widgets\.$/],
  [404, /^\/ui\/packages\/acme\/Not%20A%20Name$/],
  // Versions without a README (ReadmeNotFound), which the README panel shows as such.
  [404, /^\/api\/packages\/(acme\/widgets|my\.vendor\/some_lib)\/readme$/],
];

/** The README of acme/widgets 1.1.0: what the package page must show, and a link it must not. */
const WIDGETS_README = [
  "# Acme Widgets",
  "",
  "Widgets for *every* project.",
  "",
  "- gears included",
  "- [documentation](https://example.com/docs)",
  "- [click me](javascript:alert(document.domain))",
  "",
  "```php",
  "$widget = new Widget('<b>');",
  "```",
  "",
  "| Size | Price |",
  "|------|------:|",
  "| S    | 1     |",
  "| XL   | 12    |",
  "",
  '<img src="x" onerror="alert(1)">',
  "",
].join("\n");

interface PackageDetails {
  readonly versions: readonly { readonly version: string }[];
}

interface Downloads {
  readonly periodTotal: number;
  readonly total: number;
  readonly daily: readonly { readonly day: string; readonly count: number }[];
}

/**
 * The packages part of the dashboard in a real Chromium against a real `package-broker serve`:
 * packages published and installs reported through the API, then the list (search as you type,
 * "Load more"), a package's page (versions, dependencies, the downloads chart whose table must
 * hold the API's own numbers, the install snippets and their copy buttons), and the overview's
 * most installed packages and background jobs. Hostile cases: a search that matches nothing, one
 * longer than any package name and one with SQL wildcards, an unknown package's address, and the
 * roles: a viewer sees packages but no jobs, an auditor no package page. Each state is
 * photographed at 375 and 1,440 px and checked with axe-core.
 */
describe.runIf(chromiumRequired())("the dashboard's package screens in Chromium", () => {
  let root: string;
  let server: BrokerServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  function watch(target: Page, label: string): void {
    watchDashboardPage(target, label, problems, EXPECTED_REFUSALS);
  }

  async function api<T>(target: Page, route: string): Promise<T> {
    const response = await target.request.get(`${server.url}${route}`);
    expect(response.status(), route).toBe(200);
    return (await response.json()) as T;
  }

  async function adminSend<T>(
    method: string,
    route: string,
    data: unknown,
  ): Promise<{ status: number; body: T }> {
    const session = (await (await page.request.get(`${server.url}/api/session`)).json()) as {
      csrfToken: string;
    };
    const response = await page.request.fetch(`${server.url}${route}`, {
      method,
      headers: { "x-csrf-token": session.csrfToken },
      data,
    });
    return { status: response.status(), body: (await response.json()) as T };
  }

  async function signIn(target: Page, email: string, password: string): Promise<void> {
    await submitSignIn(target, server.url, email, password);
    await target.locator("h1", { hasText: "Overview" }).waitFor();
  }

  async function settled(target: Page = page): Promise<void> {
    await expect.poll(() => target.locator(".state-loading").count()).toBe(0);
  }

  function heading(target: Page = page): Promise<string | null> {
    return target.locator("h1").first().textContent();
  }

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-dashboard-packages-"));
    const port = await freePort();
    server = await BrokerServer.start(
      { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: `http://127.0.0.1:${String(port)}` },
      port,
    );
    expect(await createFirstAdmin(server, ADMIN)).toBeLessThan(300);

    browser = await launchChromium();
    context = await browser.newContext({ viewport: DASHBOARD_VIEWPORTS[1] });
    await context.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    );
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    page = await context.newPage();
    watch(page, "admin");
    await signIn(page, ADMIN.email, ADMIN.password);

    for (const [person, role] of [
      [VIEWER, "viewer"],
      [AUDITOR, "auditor"],
    ] as const) {
      expect((await adminSend("POST", "/api/users", { ...person, role })).status).toBe(201);
    }
    const token = await adminSend<{ token: string }>("POST", "/api/tokens", {
      description: "publishing",
      scopes: ["read", "write"],
    });
    expect(token.status).toBe(201);
    const bearer = { authorization: `Bearer ${token.body.token}` };
    async function publish(
      name: string,
      version: string,
      composer: object = {},
      files?: Record<string, string>,
    ): Promise<void> {
      const response = await fetch(`${server.url}/api/packages/upload`, {
        method: "POST",
        headers: { ...bearer, "content-type": "application/zip" },
        body: new Uint8Array(
          packageZip(name, version, { composer, ...(files === undefined ? {} : { files }) }),
        ),
      });
      expect(response.status, `${name} ${version}`).toBe(201);
    }
    await publish("acme/gears", "1.0.0");
    await publish("acme/widgets", "1.0.0", { require: { php: ">=8.1" } });
    await publish(
      "acme/widgets",
      "1.1.0",
      {
        license: "MIT",
        require: { php: ">=8.2", "acme/gears": "^1.0" },
        "require-dev": { "phpunit/phpunit": "^11.0" },
        conflict: { "acme/old-widgets": "<2.0" },
        replace: { "acme/widget-core": "self.version" },
        provide: { "psr/widget-implementation": "1.0" },
        suggest: { "ext-intl": "for localised widget names" },
      },
      { "README.md": WIDGETS_README, "src/Widget.php": "<?php\n" },
    );
    await publish("acme/widgets", "2.0.0-beta1");
    await publish("my.vendor/some_lib", "0.3.0");
    for (let index = 0; index < FILLERS; index += 1) {
      await publish(`filler/package-${String(index).padStart(3, "0")}`, "0.1.0");
    }
    // Installs reported by Composer today: 3 of 1.1.0, 2 of 1.0.0, 1 of the gears.
    const notified = await fetch(`${server.url}/downloads`, {
      method: "POST",
      headers: { ...bearer, "content-type": "application/json" },
      body: JSON.stringify({
        downloads: [
          ...Array.from({ length: 3 }, () => ({ name: "acme/widgets", version: "1.1.0.0" })),
          ...Array.from({ length: 2 }, () => ({ name: "acme/widgets", version: "1.0.0.0" })),
          { name: "acme/gears", version: "1.0.0.0" },
        ],
      }),
    });
    expect(notified.status).toBeLessThan(300);
  }, 180_000);

  afterAll(async () => {
    await browser.close();
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("lists packages a page at a time and searches as one types", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Packages" }).click();
    await expect.poll(() => heading()).toBe("Packages");
    await settled();
    const rows = page.getByRole("region", { name: "Packages table" }).locator("tbody tr");
    const total = FILLERS + 3;
    await expect.poll(() => rows.count()).toBe(50);
    expect(await page.getByTestId("package-result-count").textContent()).toBe(
      "50 packages shown, more to load.",
    );
    const firstRow = await rows.first().textContent();
    await inspectDashboard(page, "packages-first-page");

    // The end of the list scrolling into view appends the next page under the first.
    await page.getByRole("button", { name: "Load more" }).scrollIntoViewIfNeeded();
    await expect.poll(() => rows.count()).toBe(100);
    // "Load more" by keyboard appends the last.
    await page.getByRole("button", { name: "Load more" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => rows.count()).toBe(total);
    expect(await rows.first().textContent()).toBe(firstRow);
    expect(await page.getByRole("button", { name: "Load more" }).count()).toBe(0);
    const listed = await rows.locator("th a").allTextContents();
    expect(new Set(listed).size).toBe(total);
    expect(listed).toEqual(listed.toSorted());

    // Typing searches, with no button to press.
    const search = page.getByRole("searchbox", { name: "Find a package" });
    await search.fill("WIDG");
    await expect.poll(() => rows.locator("th a").allTextContents()).toEqual(["acme/widgets"]);
    expect(await page.getByTestId("package-result-count").textContent()).toBe("1 package shown.");
    await inspectDashboard(page, "packages-search");

    // Hostile searches: nothing matches, wildcards are literal, longer than any name.
    for (const text of ["no-such-thing", "%", "_", "x".repeat(400)]) {
      await search.fill(text);
      await expect.poll(() => page.getByText("No package matches.").count(), { message: text }).toBe(1);
    }
    await inspectDashboard(page, "packages-no-match");
    await search.fill("acme/");
    await expect.poll(() => rows.locator("th a").allTextContents()).toEqual(["acme/gears", "acme/widgets"]);
  });

  it(
    "shows a package: versions, dependencies, downloads that match the API, and install snippets",
    { timeout: 90_000 },
    async () => {
      await page.getByRole("link", { name: "acme/widgets" }).click();
      await expect.poll(() => heading()).toBe("acme/widgets");
      expect(new URL(page.url()).pathname).toBe("/ui/packages/acme/widgets");
      await settled();
      const details = await api<PackageDetails>(page, "/api/packages/acme/widgets");

      // Versions, newest first as the API orders them.
      const versionRows = page.getByTestId("version-row");
      expect(await versionRows.locator("th").allTextContents()).toEqual(
        details.versions.map((v) => v.version),
      );
      expect(details.versions.map((v) => v.version)).toEqual(["2.0.0-beta1", "1.1.0", "1.0.0"]);
      const stable = versionRows.filter({ hasText: "1.1.0" });
      expect(await stable.locator("td").nth(0).textContent()).toBe("stable");
      expect(await stable.locator("td").last().textContent()).toBe("3");
      expect(await versionRows.first().locator("td").nth(0).textContent()).toBe("beta");

      // Dependencies of the described version (the newest stable, 1.1.0).
      const links = async (kind: string) =>
        (await page.getByTestId(`links-${kind}`).locator("li").allTextContents()).sort();
      expect(await links("require")).toEqual(["acme/gears ^1.0", "php >=8.2"]);
      expect(await links("requireDev")).toEqual(["phpunit/phpunit ^11.0"]);
      expect(await links("conflict")).toEqual(["acme/old-widgets <2.0"]);
      expect(await links("replace")).toEqual(["acme/widget-core self.version"]);
      expect(await links("provide")).toEqual(["psr/widget-implementation 1.0"]);
      expect(await links("suggest")).toEqual(["ext-intl for localised widget names"]);

      // The chart's table holds the API's own numbers, for each period and for one version.
      const chartTable = page.getByTestId("downloads-table");
      async function tableNumbers(): Promise<{ day: string; count: number }[]> {
        const days = await chartTable.locator("tbody th").allTextContents();
        const counts = await chartTable.locator("tbody td").allTextContents();
        return days.map((day, index) => ({ day, count: Number(counts[index]) }));
      }
      for (const days of [30, 90, 365]) {
        await page.getByRole("radio", { name: `${String(days)} days` }).check();
        await expect.poll(async () => (await tableNumbers()).length).toBe(days);
        const counts = await api<Downloads>(
          page,
          `/api/packages/acme/widgets/downloads?days=${String(days)}`,
        );
        expect(await tableNumbers()).toEqual(counts.daily);
        expect(counts.periodTotal).toBe(5);
        expect(await page.getByTestId("downloads-period-total").textContent()).toBe("5");
        expect(await page.getByTestId("downloads-total").textContent()).toBe("5");
        // One bar per day with installs, and the SVG is named by its title.
        expect(await page.locator(".chart-bar").count()).toBe(counts.daily.filter((d) => d.count > 0).length);
        expect(
          await page.getByRole("img", { name: /^Installs per day of acme\/widgets, all versions/ }).count(),
        ).toBe(1);
      }
      await page.getByLabel("Version", { exact: true }).selectOption({ label: "1.0.0" });
      await expect.poll(() => page.getByTestId("downloads-period-total").textContent()).toBe("2");
      const oneVersion = await api<Downloads>(
        page,
        "/api/packages/acme/widgets/downloads?days=365&version=1.0.0.0",
      );
      expect(await tableNumbers()).toEqual(oneVersion.daily);
      await page.getByRole("radio", { name: "30 days" }).check();
      await settled();
      // The period by keyboard alone: the radio group answers the arrow keys.
      await page.getByRole("radio", { name: "30 days" }).focus();
      await page.keyboard.press("ArrowRight");
      expect(await page.getByRole("radio", { name: "90 days" }).isChecked()).toBe(true);
      await expect.poll(async () => (await tableNumbers()).length).toBe(90);
      await page.keyboard.press("ArrowLeft");
      await expect.poll(async () => (await tableNumbers()).length).toBe(30);
      await inspectDashboard(page, "package-page");

      // Install snippets, copied to the clipboard.
      const install = page.getByRole("region", { name: "Install" });
      expect(await page.locator("#install-command").textContent()).toBe("composer require acme/widgets:^1.1");
      await install.getByRole("button", { name: "Copy" }).first().click();
      await expect.poll(() => page.getByTestId("install-command-copied").textContent()).toBe("Copied.");
      expect(await page.evaluate("navigator.clipboard.readText()")).toBe(
        "composer require acme/widgets:^1.1",
      );
      await install.getByRole("button", { name: "Copy" }).nth(1).click();
      expect(JSON.parse(String(await page.evaluate("navigator.clipboard.readText()")))).toEqual({
        repositories: [{ type: "composer", url: server.url }],
      });
      await install.getByRole("button", { name: "Copy" }).nth(2).click();
      expect(JSON.parse(String(await page.evaluate("navigator.clipboard.readText()")))).toEqual({
        "http-basic": { [new URL(server.url).host]: { username: "token", password: "YOUR_TOKEN" } },
      });

      // Back to the list by its link.
      await page.getByRole("link", { name: "Packages" }).first().click();
      await expect.poll(() => heading()).toBe("Packages");
    },
  );

  it("shows the README of the described version as safe Markdown, and a version without one", async () => {
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${server.url}/ui/packages/acme/widgets`);
    await expect.poll(() => heading()).toBe("acme/widgets");
    await settled();
    const readme = page.getByTestId("package-readme");
    // The README's "#" sits under the page's h1 and the panel's h2.
    expect(await readme.getByRole("heading", { level: 3, name: "Acme Widgets" }).count()).toBe(1);
    expect(await readme.locator("em").textContent()).toBe("every");
    expect(await readme.locator("li").allTextContents()).toEqual([
      "gears included",
      "documentation",
      "click me",
    ]);
    expect(await readme.locator("pre.md-code code").textContent()).toBe("$widget = new Widget('<b>');");
    const table = readme.getByRole("table");
    expect(await table.locator("th").allTextContents()).toEqual(["Size", "Price"]);
    expect(await table.locator("tbody td").allTextContents()).toEqual(["S", "1", "XL", "12"]);
    // Only the web link is a link; the javascript: one is text, and the raw HTML is shown as text.
    const docs = readme.getByRole("link", { name: "documentation" });
    expect(await docs.getAttribute("href")).toBe("https://example.com/docs");
    expect(await docs.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(await docs.getAttribute("target")).toBe("_blank");
    expect(await readme.getByRole("link", { name: "click me" }).count()).toBe(0);
    expect(await readme.locator('[href^="javascript"], img, script').count()).toBe(0);
    expect(await readme.getByText('<img src="x" onerror="alert(1)">').count()).toBe(1);
    await readme.getByText("click me").click();
    expect(new URL(page.url()).pathname).toBe("/ui/packages/acme/widgets");
    await inspectDashboard(page, "package-readme");

    // Another version, without a README.
    await page.getByLabel("README version").selectOption({ label: "1.0.0" });
    await expect.poll(() => readme.locator(".state-empty").textContent()).toBe("This version has no README.");
    await inspectDashboard(page, "package-readme-none");
    expect(dialogs).toEqual([]);
  });

  it("opens a package's page by its address, and answers an unknown one with the API's refusal", async () => {
    // Composer names may hold dots and underscores: the page loads from its address alone.
    await page.goto(`${server.url}/ui/packages/my.vendor/some_lib`);
    await expect.poll(() => heading()).toBe("my.vendor/some_lib");
    await settled();
    expect(await page.getByTestId("version-row").locator("th").allTextContents()).toEqual(["0.3.0"]);
    expect(await page.locator("#install-command").textContent()).toBe(
      "composer require my.vendor/some_lib:^0.3",
    );

    for (const address of ["/ui/packages/acme/does-not-exist", "/ui/packages/acme/widgets."]) {
      await page.goto(`${server.url}${address}`);
      await expect
        .poll(() => page.getByRole("alert").textContent(), { message: address })
        .toContain("PackageNotFound");
    }
    await inspectDashboard(page, "package-not-found");
    // An address no package name can have is not a page of the dashboard.
    expect((await page.request.get(`${server.url}/ui/packages/acme/Not%20A%20Name`)).status()).toBe(404);
  });

  it("shows an admin the most installed packages and the background jobs", async () => {
    await page.goto(`${server.url}/ui/`);
    await expect.poll(() => heading()).toBe("Overview");
    await settled();
    const top = page.getByTestId("top-packages").locator("li");
    expect(await top.locator("a").allTextContents()).toEqual(["acme/widgets", "acme/gears"]);
    expect(await top.first().textContent()).toContain("5 installs");
    const jobs = await api<{ jobs: { name: string; state: string }[] }>(page, "/api/jobs");
    expect(jobs.jobs.length).toBeGreaterThan(0);
    const jobRows = page.getByRole("region", { name: "Background jobs" }).locator("tbody tr");
    expect(await jobRows.locator("th code").allTextContents()).toEqual(jobs.jobs.map((job) => job.name));
    for (const job of jobs.jobs) {
      expect(await jobRows.filter({ hasText: job.name }).locator("td").first().textContent()).toMatch(
        /^(held|free)$/,
      );
    }
    await inspectDashboard(page, "overview-packages-jobs");
    // The most installed package opens its page.
    await top.first().getByRole("link").click();
    await expect.poll(() => heading()).toBe("acme/widgets");
  });

  it("shows a viewer packages and their pages but no jobs, and an auditor no package page", async () => {
    const viewerContext = await browser.newContext({ viewport: DASHBOARD_VIEWPORTS[0] });
    try {
      const viewer = await viewerContext.newPage();
      watch(viewer, "viewer");
      await signIn(viewer, VIEWER.email, VIEWER.password);
      await settled(viewer);
      expect(await viewer.getByRole("heading", { name: "Most installed" }).count()).toBe(1);
      expect(await viewer.getByRole("heading", { name: "Background jobs" }).count()).toBe(0);
      await viewer.goto(`${server.url}/ui/packages/acme/widgets`);
      await expect.poll(() => heading(viewer)).toBe("acme/widgets");
      await settled(viewer);
      expect(await viewer.getByTestId("version-row").count()).toBe(3);
      await inspectDashboard(viewer, "package-page-viewer");

      const auditor = await viewerContext.newPage();
      await viewerContext.clearCookies();
      watch(auditor, "auditor");
      await signIn(auditor, AUDITOR.email, AUDITOR.password);
      await settled(auditor);
      expect(await auditor.getByRole("heading", { name: "Background jobs" }).count()).toBe(1);
      expect(await auditor.getByRole("heading", { name: "Most installed" }).count()).toBe(0);
      await auditor.goto(`${server.url}/ui/packages/acme/widgets`);
      await expect.poll(() => heading(auditor)).toBe("Not available to your role");
      expect(await auditor.getByTestId("version-row").count()).toBe(0);
    } finally {
      await viewerContext.close();
    }
    expect(problems).toEqual([]);
  });
});
