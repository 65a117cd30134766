import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime } from "../../test/builders/test-runtime.ts";
import { ROLE_PERMISSIONS, type Permission } from "../access/permission.ts";
import { userRoles, type UserRole } from "../access/user-role.ts";
import { rowToEvent } from "../audit/audit-row.ts";

/**
 * Every route of the app, with the permission it needs. A route missing here fails the first
 * test, so a new route cannot ship without its place in the matrix.
 */
const ROUTES: readonly (readonly [method: string, template: string, path: string, permission: Permission])[] =
  [
    ["GET", "/packages.json", "/packages.json", "packages:read"],
    ["GET", "/p2/:vendor/:file", "/p2/acme/widget.json", "packages:read"],
    ["GET", "/dists/:vendor/:project/:version/:file", "/dists/acme/widget/1.0.0/abc.zip", "packages:read"],
    ["POST", "/downloads", "/downloads", "packages:read"],
    ["GET", "/api/repositories", "/api/repositories", "repositories:read"],
    ["POST", "/api/repositories", "/api/repositories", "repositories:write"],
    ["GET", "/api/repositories/:id", "/api/repositories/nope", "repositories:read"],
    ["PATCH", "/api/repositories/:id", "/api/repositories/nope", "repositories:write"],
    ["DELETE", "/api/repositories/:id", "/api/repositories/nope", "repositories:write"],
    ["GET", "/api/repositories/:id/syncs", "/api/repositories/nope/syncs", "repositories:read"],
    ["POST", "/api/repositories/:id/sync", "/api/repositories/nope/sync", "repositories:sync"],
    ["GET", "/api/users", "/api/users", "users:manage"],
    ["POST", "/api/users", "/api/users", "users:manage"],
    ["GET", "/api/users/:id", "/api/users/nope", "users:manage"],
    ["PATCH", "/api/users/:id", "/api/users/nope", "users:manage"],
    ["GET", "/api/tokens", "/api/tokens", "tokens:manage"],
    ["POST", "/api/tokens", "/api/tokens", "tokens:manage"],
    ["GET", "/api/tokens/:id", "/api/tokens/nope", "tokens:manage"],
    ["PATCH", "/api/tokens/:id", "/api/tokens/nope", "tokens:manage"],
    ["DELETE", "/api/tokens/:id", "/api/tokens/nope", "tokens:manage"],
    ["POST", "/api/packages/upload", "/api/packages/upload", "packages:write"],
    [
      "DELETE",
      "/api/packages/:vendor/:project/versions/:version",
      "/api/packages/acme/nope/versions/1.0.0",
      "packages:delete",
    ],
    ["GET", "/audit/checkpoint", "/audit/checkpoint", "audit:read"],
    ["GET", "/api/audit/events", "/api/audit/events", "audit:read"],
    ["GET", "/api/audit/export", "/api/audit/export?format=jsonl&q=event:nope", "audit:read"],
    ["GET", "/api/audit/events/:id/raw-ip", "/api/audit/events/nope/raw-ip", "audit:raw-ip"],
    ["GET", "/api/audit/events/:id/proof", "/api/audit/events/nope/proof", "audit:read"],
    ["GET", "/api/audit/consistency", "/api/audit/consistency?from=1&to=1", "audit:read"],
    ["GET", "/api/audit/verify", "/api/audit/verify", "audit:read"],
    ["GET", "/api/audit/retention", "/api/audit/retention", "audit:read"],
    ["PUT", "/api/audit/retention", "/api/audit/retention", "settings:manage"],
    ["POST", "/api/audit/retention/legal-hold", "/api/audit/retention/legal-hold", "settings:manage"],
    ["DELETE", "/api/audit/retention/legal-hold", "/api/audit/retention/legal-hold", "settings:manage"],
    ["POST", "/api/audit/retention/purge", "/api/audit/retention/purge", "settings:manage"],
  ];

/** Routes anyone may call (health, the public key) and the sign-in itself. */
const OPEN = [
  "GET /health",
  "GET /ready",
  "GET /audit/public-key",
  "POST /api/session",
  "GET /api/session",
  "DELETE /api/session",
];

const PASSWORD = "correct horse battery staple 42";

let t: TestRuntime;
const sessions = new Map<UserRole, { cookie: string; csrf: string; userId: string }>();

beforeAll(async () => {
  t = await TestRuntime.start();
  for (const role of userRoles) {
    const user = await t.runtime.users.create({ email: `${role}@example.org`, role, password: PASSWORD });
    const response = await t.request("/api/session", {
      method: "POST",
      body: { email: `${role}@example.org`, password: PASSWORD },
    });
    const { csrfToken } = (await response.json()) as { csrfToken: string };
    const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    sessions.set(role, { cookie, csrf: csrfToken, userId: user.id });
  }
});

afterAll(async () => {
  await t.cleanup();
});

describe("authorization of every route for every role", () => {
  it("knows every route of the app", () => {
    const registered = new Set(
      t.app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method} ${route.path}`),
    );
    const listed = new Set([...ROUTES.map(([method, template]) => `${method} ${template}`), ...OPEN]);
    expect([...registered].filter((route) => !listed.has(route)).sort()).toEqual([]);
    expect([...listed].filter((route) => !registered.has(route)).sort()).toEqual([]);
  });

  const cases = ROUTES.flatMap(([method, , path, permission]) =>
    userRoles.map((role) => [role, method, path, permission] as const),
  );

  it.each(cases)("%s: %s %s (%s)", async (role, method, path, permission) => {
    const session = sessions.get(role);
    if (session === undefined) throw new Error(`no session for ${role}`);
    const response = await t.request(path, {
      method,
      headers: { cookie: session.cookie, "x-csrf-token": session.csrf, "content-type": "application/json" },
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
});
