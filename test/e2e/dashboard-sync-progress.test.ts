import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerServer } from "../support/broker-process.ts";
import { chromiumRequired, launchChromium } from "../support/chromium.ts";
import { DASHBOARD_VIEWPORTS, inspectDashboard } from "../support/dashboard-inspect.ts";
import {
  createFirstAdmin,
  CSP_VIOLATION_REPORTER,
  submitSignIn,
  watchDashboardPage,
} from "../support/dashboard-session.ts";
import { freePort } from "../support/free-port.ts";
import { nginxAvailable, StaticComposerRepository } from "../support/static-composer-repository.ts";
import { requireComponent } from "../support/required-component.ts";

const ADMIN = { email: "root@example.com", password: "correct horse battery 42", name: "Root Admin" };
const EXPECTED_REFUSALS: readonly (readonly [number, RegExp])[] = [[401, /^\/api\/session$/]];
const PACKAGES = ["slowlib/alpha", "slowlib/beta", "slowlib/gamma"] as const;
/** The package whose metadata the upstream holds back until the test lets it through. */
const HELD = "/p2/slowlib/gamma.json";

interface SyncRun {
  readonly status: string;
  readonly progress: unknown;
  readonly details: { readonly upstream?: { readonly packages: { readonly fetched: number } } };
}

/**
 * A running sync followed live on the dashboard, in a real Chromium against a real
 * `package-broker serve`: an eager composer upstream (nginx with a static repository) behind a
 * loopback relay that holds one package's metadata back, so that the sync stays in the middle of
 * its packages for as long as the test needs. The repositories table shows the sync's progress
 * bar (2 of 3 packages) while the request runs, the open details panel shows the running run in
 * its history, a second page that did not start the sync follows it too (the run's progress is
 * read from the API, not from the request), and all of it ends as a succeeded run once the held
 * package is let through. The API's own `progress` is compared with what the page shows.
 */
describe.runIf(
  chromiumRequired() && requireComponent("nginx", nginxAvailable(), "install the nginx package"),
)("a sync's live progress on the dashboard", () => {
  let root: string;
  let server: BrokerServer;
  let upstream: StaticComposerRepository;
  let relay: http.Server;
  let relayUrl: string;
  let release: () => void = () => undefined;
  let heldReached = false;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-dashboard-sync-"));
    fs.chmodSync(root, 0o755); // nginx's workers read the docroot as another user
    upstream = await StaticComposerRepository.create(path.join(root, "upstream"));
    for (const name of PACKAGES) {
      upstream.addPackage(name, [{ version: "1.0.0", versionNormalized: "1.0.0.0" }]);
    }
    await upstream.start();
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Relays every request to nginx, holding the held document back until `release()`.
    relay = http.createServer((request, response) => {
      void (async () => {
        if (request.url === HELD) {
          heldReached = true;
          await held;
        }
        const answer = await fetch(`${upstream.url}${request.url ?? "/"}`);
        response.writeHead(answer.status, {
          "content-type": answer.headers.get("content-type") ?? "application/octet-stream",
        });
        response.end(Buffer.from(await answer.arrayBuffer()));
      })().catch(() => {
        response.destroy();
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    relayUrl = `http://127.0.0.1:${String((relay.address() as AddressInfo).port)}`;

    const port = await freePort();
    server = await BrokerServer.start(
      {
        PB_DATA_DIR: path.join(root, "data"),
        PB_BASE_URL: `http://127.0.0.1:${String(port)}`,
        PB_ALLOW_PRIVATE_SOURCES: "true",
        // The held document waits as long as the test needs, far below this.
        PB_PROXY_TIMEOUT_SECONDS: "300",
      },
      port,
    );
    expect(await createFirstAdmin(server, ADMIN)).toBeLessThan(300);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: DASHBOARD_VIEWPORTS[1] });
    await context.addInitScript(CSP_VIOLATION_REPORTER);
    page = await context.newPage();
    watchDashboardPage(page, "admin", problems, EXPECTED_REFUSALS);
    await submitSignIn(page, server.url, ADMIN.email, ADMIN.password);
    await page.locator("h1", { hasText: "Overview" }).waitFor();
  }, 120_000);

  afterAll(async () => {
    release();
    await browser.close();
    await server.stop();
    await new Promise((resolve) => relay.close(resolve));
    await upstream.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function apiJson<T>(route: string, method = "GET", data?: unknown): Promise<T> {
    const session = (await (await page.request.get(`${server.url}/api/session`)).json()) as {
      csrfToken: string;
    };
    const response = await page.request.fetch(`${server.url}${route}`, {
      method,
      headers: { "x-csrf-token": session.csrfToken },
      ...(data === undefined ? {} : { data }),
    });
    expect(response.status(), `${method} ${route}`).toBeLessThan(300);
    return (await response.json()) as T;
  }

  it("shows where a running sync is, on the page that started it and on another, until it succeeded", async () => {
    const added = await apiJson<{ id: string }>("/api/repositories", "POST", {
      type: "composer",
      name: "slow-mirror",
      url: relayUrl,
      eagerPackages: [...PACKAGES],
    });
    await page.getByRole("link", { name: "Repositories" }).click();
    await page.locator("h1", { hasText: "Repositories" }).waitFor();
    await page.getByRole("button", { name: "Details of slow-mirror" }).click();
    const details = page.getByRole("region", { name: "slow-mirror" });
    await details.getByText("Not synced yet.").waitFor();

    await page.getByRole("button", { name: "Sync now slow-mirror" }).click();
    await expect.poll(() => heldReached).toBe(true);

    // The API says where the sync is: both other packages done, the held one not.
    const running = async () =>
      (await apiJson<{ syncs: SyncRun[] }>(`/api/repositories/${added.id}/syncs?limit=1`)).syncs[0];
    await expect
      .poll(async () => (await running())?.progress)
      .toMatchObject({ phase: "refs", done: 2, total: 3, unit: "packages" });

    const tableBar = page.getByRole("progressbar", { name: "Progress of the sync of slow-mirror" });
    await expect.poll(() => tableBar.getAttribute("value")).toBe("2");
    expect(await tableBar.getAttribute("max")).toBe("3");
    await expect
      .poll(() => page.getByRole("row", { name: /slow-mirror/ }).textContent())
      .toMatch(/2 of 3 packages done/);
    const historyBar = details.getByRole("progressbar", { name: "Progress of the running sync" });
    await expect.poll(() => historyBar.getAttribute("value")).toBe("2");
    await expect
      .poll(() => details.getByRole("list", { name: "Sync history" }).textContent())
      .toMatch(/running/);
    await inspectDashboard(page, "repositories-sync-running");

    // Another page, which did not start the sync, follows it from the run's progress.
    const other = await context.newPage();
    watchDashboardPage(other, "watcher", problems, EXPECTED_REFUSALS);
    await other.goto(`${server.url}/ui/repositories`);
    await other.getByRole("button", { name: "Details of slow-mirror" }).click();
    const otherBar = other
      .getByRole("region", { name: "slow-mirror" })
      .getByRole("progressbar", { name: "Progress of the running sync" });
    await expect.poll(() => otherBar.getAttribute("value")).toBe("2");
    expect(await other.getByRole("row", { name: /slow-mirror/ }).textContent()).toMatch(/syncing/);

    release();
    await page.getByRole("status").filter({ hasText: "slow-mirror synced." }).waitFor();
    expect(await page.getByRole("progressbar").count()).toBe(0);
    const finished = await running();
    expect(finished).toMatchObject({ status: "succeeded", progress: null });
    expect(finished?.details.upstream?.packages.fetched).toBe(3);
    await page
      .getByRole("region", { name: "slow-mirror" })
      .getByRole("list", { name: "Sync history" })
      .getByText("succeeded")
      .waitFor();
    // The watching page stops at the end too, and shows the outcome.
    await other
      .getByRole("region", { name: "slow-mirror" })
      .getByRole("list", { name: "Sync history" })
      .getByText("succeeded")
      .waitFor();
    expect(await other.getByRole("progressbar").count()).toBe(0);
    await inspectDashboard(page, "repositories-sync-finished");
    await other.close();
    expect(problems).toEqual([]);
  });
});
