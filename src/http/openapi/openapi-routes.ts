import fs from "node:fs";
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import type { ApiRouter } from "./api-router.ts";
import { buildOpenApiDocument, type OpenApiInfo } from "./openapi-document.ts";

/** The reference page's files: beside src/ and dist/ alike, one level above either. */
const ASSETS = new URL("../../../assets/api-reference/", import.meta.url);
/** The stored event's published JSON Schema, embedded as the `AuditEvent` component. */
const AUDIT_EVENT_SCHEMA = new URL("../../../schemas/audit-event.v1.json", import.meta.url);

const PAGE_FILES: Readonly<Record<string, string>> = {
  "reference.js": "text/javascript; charset=utf-8",
  "reference.css": "text/css; charset=utf-8",
};

/**
 * Everything the page may load: itself, from this server. No inline script or style, no other
 * origin (it works offline), no framing.
 */
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/**
 * `GET /api/openapi.json`: the OpenAPI 3.1 document of the management API, and `GET /api/docs`:
 * an interactive reference page over it (try any operation with a token or the session). Both
 * public: the document describes the API, it grants nothing.
 */
export function openApiRoutes(routers: readonly ApiRouter[], info: OpenApiInfo): Hono<AppEnv> {
  const document = buildOpenApiDocument(routers, info);
  const components = (document.components as { schemas: Record<string, unknown> }).schemas;
  components.AuditEvent = auditEventComponent();
  const json = JSON.stringify(document);
  const app = new Hono<AppEnv>();
  app.get("/api/openapi.json", (c) =>
    c.body(json, 200, { "content-type": "application/json", "cache-control": "no-cache" }),
  );
  app.get("/api/docs", (c) =>
    c.body(readAsset("index.html"), 200, { ...PAGE_HEADERS, "content-type": "text/html; charset=utf-8" }),
  );
  app.get("/api/docs/:file", (c) => {
    const file = c.req.param("file");
    const type = PAGE_FILES[file];
    if (type === undefined) return c.notFound();
    return c.body(readAsset(file), 200, { ...PAGE_HEADERS, "content-type": type });
  });
  return app;
}

/** The page's files, read on first use and kept (a few KiB): no disk read per request. */
const assets = new Map<string, string>();

function readAsset(name: string): string {
  let text = assets.get(name);
  if (text === undefined) {
    text = fs.readFileSync(new URL(name, ASSETS), "utf8");
    assets.set(name, text);
  }
  return text;
}

function auditEventComponent(): Record<string, unknown> {
  const schema = JSON.parse(fs.readFileSync(AUDIT_EVENT_SCHEMA, "utf8")) as Record<string, unknown>;
  delete schema.$schema;
  delete schema.$id;
  return schema;
}
