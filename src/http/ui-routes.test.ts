import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../test/builders/test-runtime.ts";
import type { AppEnv } from "./app-env.ts";
import { UI_CONTENT_SECURITY_POLICY, uiRoutes } from "./ui-routes.ts";

const INDEX = '<!doctype html><script type="module" src="/ui/assets/index-abc123.js"></script>';
const SCRIPT = `console.log(${JSON.stringify("x".repeat(4000))});`;

let root: string;
let build: URL;
let app: Hono<AppEnv>;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-ui-routes-"));
  const directory = path.join(root, "ui");
  fs.mkdirSync(path.join(directory, "assets"), { recursive: true });
  fs.writeFileSync(path.join(directory, "index.html"), INDEX);
  fs.writeFileSync(path.join(directory, "favicon.svg"), "<svg/>");
  fs.writeFileSync(path.join(directory, "assets", "index-abc123.js"), SCRIPT);
  fs.writeFileSync(path.join(directory, "assets", "index-abc123.css"), "body{}");
  fs.writeFileSync(path.join(root, "secret.txt"), "outside the build");
  fs.writeFileSync(path.join(directory, "assets", ".hidden.js"), "hidden");
  build = pathToFileURL(`${directory}/`);
  app = new Hono<AppEnv>();
  app.route("/", uiRoutes(build));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function expectSecurityHeaders(response: Response): void {
  expect(response.headers.get("content-security-policy")).toBe(UI_CONTENT_SECURITY_POLICY);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  expect(response.headers.get("cross-origin-opener-policy")).toBe("same-origin");
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  expect(response.headers.get("permissions-policy")).toContain("camera=()");
}

describe("the dashboard's pages", () => {
  it.each([
    "/",
    "/ui",
    "/ui/",
    "/ui/sign-in",
    "/ui/tokens",
    "/ui/audit-log/events",
    "/ui/packages/my.vendor/some_lib",
    "/setup",
    "/invite",
    "/reset-password",
  ])("%s answers index.html, never cached, under the strict CSP", async (page) => {
    const response = await app.request(page);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expectSecurityHeaders(response);
    expect(await response.text()).toBe(INDEX);
  });

  it("allows no inline script or style and no other origin", () => {
    expect(UI_CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  it("serves hashed assets for a year, immutable, compressed when asked", async () => {
    const response = await app.request("/ui/assets/index-abc123.js", {
      headers: { "accept-encoding": "gzip" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expectSecurityHeaders(response);
    const plain = await app.request("/ui/assets/index-abc123.css");
    expect(plain.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await plain.text()).toBe("body{}");
  });

  it("serves the build's top-level files, revalidated", async () => {
    const response = await app.request("/ui/favicon.svg");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/svg+xml");
    expect(response.headers.get("cache-control")).toBe("no-cache");
  });

  it.each([
    "/ui/assets/missing-123.js",
    "/ui/assets/..%2f..%2fsecret.txt",
    "/ui/assets/%2e%2e%2fsecret.txt",
    "/ui/..%2fsecret.txt",
    "/ui/%2e%2e/secret.txt",
    "/ui/assets/.hidden.js",
    "/ui/assets/index-abc123.js%00.css",
    "/ui/assets/index-abc123.exe",
    "/ui/index.html",
    "/ui/Tokens",
    "/ui/assets/sub/index-abc123.js",
    "/ui/a/b/c/d/e/f",
    `/ui/${"a".repeat(300)}`,
    "/ui/<script>",
    "/ui/assets/%5c..%5csecret.txt",
    "/ui/packages/.vendor/name",
    "/ui/packages/Vendor/name",
  ])("answers 404 for %s, never a file outside the build", async (hostile) => {
    const response = await app.request(hostile);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain("outside the build");
  });
});

describe("without a build", () => {
  it("answers the pages with 503 and how to build, under the same headers", async () => {
    const missing = new Hono<AppEnv>();
    missing.route("/", uiRoutes(pathToFileURL(path.join(root, "nowhere") + "/")));
    for (const page of ["/", "/ui/", "/setup"]) {
      const response = await missing.request(page);
      expect(response.status).toBe(503);
      expectSecurityHeaders(response);
      expect(await response.text()).toContain("npm run build");
    }
    expect((await missing.request("/ui/assets/index-abc123.js")).status).toBe(404);
  });
});

describe("mounted in the app", () => {
  let t: TestRuntime;
  let reader: TestToken;

  beforeAll(async () => {
    t = await TestRuntime.start();
    reader = await t.createToken({ scopes: ["read"] });
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it("shadows none of the Composer, API, health or audit routes", async () => {
    const auth = { token: reader.token };
    const packages = await t.request("/packages.json", auth);
    expect(packages.status).toBe(200);
    expect(await packages.json()).toHaveProperty("metadata-url");
    expect((await t.request("/health")).status).toBe(200);
    expect((await t.request("/api/session")).headers.get("content-type")).toBe("application/problem+json");
    expect((await t.request("/p2/acme/none.json", auth)).status).toBe(404);
    expect((await t.request("/audit/public-key")).status).toBe(200);
    const unknown = await t.request("/api/nothing-here");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
  });

  it("answers an unknown dashboard file with the API's 404 problem", async () => {
    const response = await t.request("/ui/assets/..%2f..%2fpackage.json");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "RouteNotFound" });
  });

  it("serves the dashboard at /", async () => {
    const response = await t.request("/");
    expect([200, 503]).toContain(response.status);
    expect(response.headers.get("content-security-policy")).toBe(UI_CONTENT_SECURITY_POLICY);
  });
});
