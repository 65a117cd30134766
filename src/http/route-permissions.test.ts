import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestSession } from "../../test/builders/test-runtime.ts";
import { databaseSnapshot } from "../../test/support/database-snapshot.ts";
import { ROLE_PERMISSIONS, type Permission } from "../access/permission.ts";
import { userRoles, type UserRole } from "../access/user-role.ts";
import { rowToEvent } from "../audit/audit-row.ts";

/** The Composer protocol's routes: not in the management API's document, so listed here. */
const COMPOSER_ROUTES: readonly (readonly [method: string, template: string, path: string])[] = [
  ["GET", "/packages.json", "/packages.json"],
  ["GET", "/p2/:vendor/:file", "/p2/acme/widget.json"],
  ["GET", "/dists/:vendor/:project/:version/:file", "/dists/acme/widget/1.0.0/abc.zip"],
  ["POST", "/downloads", "/downloads"],
];

/** Query strings that keep a request cheap where the operation reads a lot by default. */
const SAMPLE_QUERIES: Readonly<Record<string, string>> = {
  exportAuditEvents: "?format=jsonl&q=event:nope",
  getAuditConsistencyProof: "?from=1&to=1",
};

/** The OpenAPI document's routes besides its operations (the document and its reference page). */
const DOCUMENT_ROUTES = ["GET /api/openapi.json", "GET /api/docs", "GET /api/docs/:file"];
/** The dashboard's pages and built files (ui-routes.ts): public, they hold no data. */
const DASHBOARD_ROUTES = [
  "GET /",
  "GET /setup",
  "GET /invite",
  "GET /reset-password",
  "GET /ui",
  "GET /ui/*",
  "GET /ui/assets/:file",
];

/** Operations anyone may call: health, the public key, the sign-in itself. */
const OPEN = [
  "GET /health",
  "GET /ready",
  "GET /audit/public-key",
  "POST /api/session",
  "GET /api/session",
  "DELETE /api/session",
  "POST /api/account-links/describe",
  "POST /api/account-links/accept",
  // Not open: its own token (PB_METRICS_TOKEN), not a person's or an API token (metrics-routes.test.ts).
  "GET /metrics",
];

interface DocumentedRoute {
  readonly method: string;
  /** Hono's syntax (`/api/tokens/:id`). */
  readonly template: string;
  readonly path: string;
  readonly access: Permission | "signed-in" | "public";
}

const sessions = new Map<UserRole, TestSession>();

beforeAll(async () => {
  for (const role of userRoles) sessions.set(role, await t.signInAs(role));
});

afterAll(async () => {
  await t.cleanup();
});

/** Every operation of the published document, with the permission it declares. */
function documentedRoutes(): DocumentedRoute[] {
  return t.openApi.documented().map(({ method, template, operation }) => ({
    method,
    template: template.replace(/\{(\w+)\}/g, ":$1"),
    path: template.replace(/\{(\w+)\}/g, "nope") + (SAMPLE_QUERIES[operation.operationId] ?? ""),
    access: (operation["x-required-permission"] ?? "public") as DocumentedRoute["access"],
  }));
}

// Top-level: the cases below are made from the document the running app publishes.
const t = await TestRuntime.start();
const documented = documentedRoutes();

describe("authorization of every route for every role", () => {
  it("knows every route of the app: each is in the OpenAPI document or a Composer route", () => {
    const registered = new Set(
      t.app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method} ${route.path}`),
    );
    const listed = new Set([
      ...documented.map((route) => `${route.method} ${route.template}`),
      ...COMPOSER_ROUTES.map(([method, template]) => `${method} ${template}`),
      ...DOCUMENT_ROUTES,
      ...DASHBOARD_ROUTES,
    ]);
    expect([...registered].filter((route) => !listed.has(route)).sort()).toEqual([]);
    expect([...listed].filter((route) => !registered.has(route)).sort()).toEqual([]);
  });

  it("declares a permission for every operation but the public ones", () => {
    const open = documented
      .filter((route) => route.access === "public")
      .map((r) => `${r.method} ${r.template}`);
    expect(open.sort()).toEqual(OPEN.slice().sort());
  });

  const guarded: [method: string, path: string, permission: Permission][] = [
    ...COMPOSER_ROUTES.map(([method, , path]): [string, string, Permission] => [
      method,
      path,
      "packages:read",
    ]),
    ...documented.flatMap(({ method, path, access }): [string, string, Permission][] =>
      access === "public" || access === "signed-in" ? [] : [[method, path, access]],
    ),
  ];
  const cases = guarded.flatMap(([method, path, permission]) =>
    userRoles.map((role) => [role, method, path, permission] as const),
  );

  it.each(cases)("%s: %s %s (%s)", async (role, method, path, permission) => {
    const session = sessions.get(role);
    if (session === undefined) throw new Error(`no session for ${role}`);
    const response = await t.request(path, {
      method,
      headers: { ...session.headers, "content-type": "application/json" },
      ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }),
    });
    const allowed = ROLE_PERMISSIONS[role].includes(permission);
    if (allowed) {
      expect([401, 403], `${role} may ${permission}`).not.toContain(response.status);
      return;
    }
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      code: "InsufficientRole",
      required_permission: permission,
    });
    const latest = await t.runtime.audit.records.latestEvent("authentication", "role_denied");
    expect(latest === null ? null : rowToEvent(latest)).toMatchObject({
      outcome: "denied",
      actor: { type: "user", id: session.userId, auth_method: "session" },
      details: { code: "InsufficientRole", required_permission: permission },
    });
  });

  const ownAccount = documented.filter((route) => route.access === "signed-in");

  it.each(ownAccount.flatMap((route) => userRoles.map((role) => [role, route.method, route.path] as const)))(
    "%s may %s %s in a session (their own account)",
    async (role, method, path) => {
      const session = sessions.get(role);
      if (session === undefined) throw new Error(`no session for ${role}`);
      const response = await t.request(path, {
        method,
        headers: { ...session.headers, "content-type": "application/json" },
        ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }),
      });
      expect([401, 403]).not.toContain(response.status);
    },
  );

  it.each(ownAccount.map((route) => [route.method, route.path] as const))(
    "refuses %s %s to an API token, even an admin's, and records it",
    async (method, path) => {
      const token = await t.createToken({ scopes: ["admin"] });
      const response = await t.request(path, {
        method,
        token: token.token,
        headers: { "content-type": "application/json" },
        ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }),
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: "SessionOnly" });
      const latest = await t.runtime.audit.records.latestEvent("authentication", "session_only");
      expect(latest === null ? null : rowToEvent(latest)).toMatchObject({
        outcome: "denied",
        actor: { type: "token", id: token.fingerprint },
      });
    },
  );

  it("refuses an auditor every change, records each refusal, and changes nothing", async () => {
    const auditor = sessions.get("auditor");
    if (auditor === undefined) throw new Error("no auditor session");
    const changes = documented.filter(
      (route) =>
        route.method !== "GET" &&
        route.access !== "public" &&
        route.access !== "signed-in" &&
        !ROLE_PERMISSIONS.auditor.includes(route.access),
    );
    expect(changes.length).toBeGreaterThan(15);
    const before = await databaseSnapshot(t.runtime.database.db);
    const mark = (await t.runtime.audit.records.state()).size;
    for (const route of changes) {
      const response = await t.request(route.path, {
        method: route.method,
        headers: { ...auditor.headers, "content-type": "application/json" },
        body: JSON.stringify({ description: "x", email: "x@example.org", role: "admin", days: { user: 1 } }),
      });
      expect(response.status, `${route.method} ${route.path}`).toBe(403);
    }
    expect(await databaseSnapshot(t.runtime.database.db)).toBe(before);
    const denied = (await t.runtime.audit.records.range(mark + 1, 10_000))
      .map(rowToEvent)
      .filter((event) => event.action === "role_denied" && event.actor.id === auditor.userId);
    expect(denied.length).toBe(changes.length);
  });
});
