import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestSession } from "../../../test/builders/test-runtime.ts";
import { rowToEvent } from "../../audit/audit-row.ts";

let t: TestRuntime;
let viewer: TestSession;
let maintainer: TestSession;
let admin: TestSession;

beforeAll(async () => {
  t = await TestRuntime.start();
  viewer = await t.signInAs("viewer");
  maintainer = await t.signInAs("maintainer");
  admin = await t.signInAs("admin");
});

afterAll(async () => {
  await t.cleanup();
});

interface CreatedToken {
  id: string;
  token: string;
  scopes: string[];
  owner: { id: string } | null;
}

async function createMyToken(session: TestSession, body: object): Promise<Response> {
  return t.request("/api/me/tokens", { method: "POST", headers: session.headers, body });
}

describe("/api/me", () => {
  it("shows the signed-in person", async () => {
    const response = await t.request("/api/me", { headers: viewer.headers });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: viewer.userId, role: "viewer" });
  });

  it("refuses API tokens, even an admin's, and records it", async () => {
    const token = await t.createToken({ scopes: ["admin"] });
    const response = await t.request("/api/me", { token: token.token });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "SessionOnly" });
    const row = await t.runtime.audit.records.latestEvent("authentication", "session_only");
    expect(row === null ? null : rowToEvent(row)).toMatchObject({ outcome: "denied" });
  });

  it("refuses a request without a session", async () => {
    const response = await t.request("/api/me/tokens");
    expect(response.status).toBe(401);
  });
});

describe("personal tokens", () => {
  it("creates a token owned by the person, never wider than their role", async () => {
    const response = await createMyToken(viewer, { description: "laptop", scopes: ["admin"] });
    expect(response.status).toBe(201);
    const created = (await response.json()) as CreatedToken;
    expect(created.owner).toEqual({ id: viewer.userId });
    // A viewer reads packages and repositories with it, and nothing more.
    expect((await t.request("/api/repositories", { token: created.token })).status).toBe(200);
    const refused = await t.request("/api/tokens", { token: created.token });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      code: "InsufficientRole",
      required_permission: "tokens:manage",
    });
    const row = await t.runtime.audit.records.latestEvent("token", "created");
    expect(row === null ? null : rowToEvent(row)).toMatchObject({
      actor: { type: "user", id: viewer.userId, auth_method: "session" },
      outcome: "success",
    });
  });

  it("refuses a token that would allow nothing", async () => {
    const auditor = await t.signInAs("auditor");
    const response = await createMyToken(auditor, { description: "nothing", scopes: ["read"] });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "ScopeOutsideRole" });
  });

  it("lists, changes and revokes only the person's own tokens", async () => {
    const mine = (await (await createMyToken(maintainer, { description: "ci" })).json()) as CreatedToken;
    const theirs = (await (await createMyToken(admin, { description: "admin's" })).json()) as CreatedToken;
    const list = (await (await t.request("/api/me/tokens", { headers: maintainer.headers })).json()) as {
      tokens: { id: string }[];
    };
    expect(list.tokens.map((token) => token.id)).toEqual([mine.id]);

    for (const [method, body] of [
      ["PATCH", { description: "stolen" }],
      ["DELETE", undefined],
    ] as const) {
      const response = await t.request(`/api/me/tokens/${theirs.id}`, {
        method,
        headers: maintainer.headers,
        ...(body === undefined ? {} : { body }),
      });
      expect(response.status).toBe(404);
    }
    expect((await t.request("/packages.json", { token: theirs.token })).status).toBe(200);

    const renamed = await t.request(`/api/me/tokens/${mine.id}`, {
      method: "PATCH",
      headers: maintainer.headers,
      body: { description: "ci runner" },
    });
    expect(await renamed.json()).toMatchObject({ description: "ci runner" });
    const revoked = await t.request(`/api/me/tokens/${mine.id}`, {
      method: "DELETE",
      headers: maintainer.headers,
    });
    expect(revoked.status).toBe(200);
    expect((await t.request("/packages.json", { token: mine.token })).status).toBe(403);
  });

  it("needs the CSRF header for changes", async () => {
    const response = await t.request("/api/me/tokens", {
      method: "POST",
      headers: { cookie: viewer.headers.cookie ?? "" },
      body: { description: "csrf" },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "CsrfRejected" });
  });
});

describe("a blocked or deleted person", () => {
  it("loses their sessions and tokens at once", async () => {
    const person = await t.signInAs("maintainer", "leaving@example.org");
    const token = (await (
      await createMyToken(person, { description: "script", scopes: ["write"] })
    ).json()) as CreatedToken;
    expect((await t.request("/packages.json", { token: token.token })).status).toBe(200);

    const blocked = await t.request(`/api/users/${person.userId}`, {
      method: "PATCH",
      headers: admin.headers,
      body: { status: "blocked" },
    });
    expect(blocked.status).toBe(200);
    const refused = await t.request("/packages.json", { token: token.token });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "TokenOwnerBlocked" });
    expect((await t.request("/api/me", { headers: person.headers })).status).toBe(401);

    const deleted = await t.request(`/api/users/${person.userId}`, {
      method: "DELETE",
      headers: admin.headers,
    });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toMatchObject({ user: { id: person.userId }, revokedTokens: 1 });
    expect((await t.request("/packages.json", { token: token.token })).status).toBe(403);
    expect((await t.request(`/api/users/${person.userId}`, { headers: admin.headers })).status).toBe(404);
    const row = await t.runtime.audit.records.latestEvent("user", "deleted");
    expect(row === null ? null : rowToEvent(row)).toMatchObject({
      severity: "warning",
      actor: { id: admin.userId },
      target: { id: person.userId },
    });
  });

  it("refuses to delete the last admin", async () => {
    const response = await t.request(`/api/users/${admin.userId}`, {
      method: "DELETE",
      headers: admin.headers,
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: "LastAdmin" });
  });
});
