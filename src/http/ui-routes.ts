import { readFile } from "node:fs/promises";
import { Hono, type Context } from "hono";
import { compress } from "hono/compress";
import type { AppEnv } from "./app-env.ts";

/** Where `npm run build` puts the dashboard: dist/ui/, beside src/ and dist/ alike. */
export const UI_BUILD_DIRECTORY = new URL("../../dist/ui/", import.meta.url);

/** The dashboard's own path prefix; its hashed files are under `/ui/assets/`. */
export const UI_PREFIX = "/ui";

/** The pages a link e-mailed to a person opens (docs/accounts.md): the app, at the root. */
const LINK_PAGES = ["/setup", "/invite", "/reset-password"] as const;

/**
 * Everything a dashboard page may load: its own files, from this server. No inline script or
 * style, no other origin (it works offline), no framing.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": UI_CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "x-frame-options": "DENY",
  "permissions-policy":
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  woff2: "font/woff2",
  txt: "text/plain; charset=utf-8",
};

/** A file name the build can produce: no separators, no leading dot, a known extension. */
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}\.([a-z0-9]{1,8})$/;
/** A client-side route of the app: lower-case words separated by slashes. */
const APP_PATH = /^\/ui(?:\/[a-z0-9-]{1,64}){0,4}\/?$/;
/** A package's page, `/ui/packages/{vendor}/{name}`: Composer names hold `.` and `_` too. */
const PACKAGE_PAGE_PATH = /^\/ui\/packages\/[a-z0-9][a-z0-9_.-]{0,63}\/[a-z0-9][a-z0-9_.-]{0,127}$/;

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PACKAGE.broker: dashboard not built</title></head>
<body><h1>The dashboard is not built</h1>
<p>This server runs from a checkout whose dashboard has not been built. Run <code>npm run build</code>
(or <code>npm ci</code>, which builds it) and reload this page. The API and the Composer repository work without it.</p>
</body></html>
`;

/**
 * The dashboard: a single-page app built by Vite into `directory` (dist/ui/ by default). `/`, the
 * account-link pages and every app path under `/ui/` answer its index.html (never cached); its
 * hashed files under `/ui/assets/` are cached for a year. Only names the build can produce are
 * looked up, and only in `directory`: anything else is 404. Without a build, the pages say how to
 * build it (503).
 */
export function uiRoutes(directory: URL = UI_BUILD_DIRECTORY): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const page = (c: Context<AppEnv>): Promise<Response> => sendIndex(c, directory);
  app.get("/", page);
  for (const path of LINK_PAGES) app.get(path, page);
  app.use(`${UI_PREFIX}/assets/*`, compress());
  app.get(`${UI_PREFIX}/assets/:file`, async (c) => {
    const file = await readBuildFile(directory, `assets/${c.req.param("file")}`);
    if (file === null) return c.notFound();
    return c.body(file.body, 200, {
      ...SECURITY_HEADERS,
      "content-type": file.type,
      "cache-control": "public, max-age=31536000, immutable",
    });
  });
  app.get(`${UI_PREFIX}/*`, async (c) => {
    const path = c.req.path;
    if (APP_PATH.test(path) || PACKAGE_PAGE_PATH.test(path)) return page(c);
    const name = path.slice(UI_PREFIX.length + 1);
    const file = await readBuildFile(directory, name);
    if (file === null) return c.notFound();
    return c.body(file.body, 200, {
      ...SECURITY_HEADERS,
      "content-type": file.type,
      "cache-control": "no-cache",
    });
  });
  app.get(UI_PREFIX, page);
  return app;
}

async function sendIndex(c: Context<AppEnv>, directory: URL): Promise<Response> {
  const html = await readOrNull(new URL("index.html", directory));
  const headers = {
    ...SECURITY_HEADERS,
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-cache",
  };
  if (html === null) return c.body(NOT_BUILT_PAGE, 503, headers);
  return c.body(html, 200, headers);
}

/** A top-level file of the build, or one in its assets folder; null for any other name. */
async function readBuildFile(
  directory: URL,
  name: string,
): Promise<{ readonly body: Uint8Array<ArrayBuffer>; readonly type: string } | null> {
  const [folder, file, ...rest] = name.includes("/") ? name.split("/") : ["", name];
  if (rest.length > 0 || (folder !== "" && folder !== "assets") || file === undefined) return null;
  const match = FILE_NAME.exec(file);
  const type = CONTENT_TYPES[match?.[1] ?? ""];
  if (match === null || type === undefined || file.includes("..") || file === "index.html") return null;
  const body = await readOrNull(new URL(folder === "" ? file : `${folder}/${file}`, directory));
  return body === null ? null : { body, type };
}

async function readOrNull(url: URL): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    return new Uint8Array(await readFile(url));
  } catch {
    return null;
  }
}
