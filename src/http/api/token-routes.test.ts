import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";

const PROBLEM = "application/problem+json";

let t: TestRuntime;
let admin: TestToken;

beforeAll(async () => {
  t = await TestRuntime.start();
  admin = await t.createToken({ scopes: ["admin"], description: "admin" });
});

afterAll(async () => {
  await t.cleanup();
});

const api = (
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) =>
  t.request(`/api/tokens${path}`, {
    method: init.method ?? "GET",
    token: admin.token,
    ...(init.headers === undefined ? {} : { headers: init.headers }),
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === "string" ? init.body : (init.body as object) }),
  });

interface CreatedToken {
  id: string;
  token: string;
  fingerprint: string;
  description: string;
  scopes: string[];
  packagePatterns: string[];
  expiresAt: string | null;
  revokedAt: string | null;
}

async function create(body: object): Promise<CreatedToken> {
  const response = await api("", { method: "POST", body });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as CreatedToken;
}

function expectNoSecrets(text: string, secret: string): void {
  expect(text).not.toContain(secret);
  expect(text).not.toMatch(/"token"\s*:/);
  expect(text).not.toMatch(/hash/i);
}

describe("creating tokens", () => {
  it("returns the secret once, and the token works", async () => {
    const created = await create({
      description: "CI deploys",
      scopes: ["read", "write"],
      packages: ["acme/*"],
      expiresAt: "2026-06-30T00:00:00Z",
    });
    expect(created).toMatchObject({
      description: "CI deploys",
      scopes: ["read", "write"],
      packagePatterns: ["acme/*"],
      expiresAt: "2026-06-30T00:00:00.000Z",
      revokedAt: null,
    });
    expect(created.token).toMatch(/^pb_[0-9A-Za-z]{38}$/);
    expect(created.fingerprint).toBe(`pb_${created.token.slice(3, 7)}…${created.token.slice(-4)}`);
    expect(Object.keys(created)).not.toContain("tokenHash");
    const response = await t.request("/packages.json", { token: created.token });
    expect(response.status).toBe(200);
  });

  it("defaults to the read scope, every package, no expiry", async () => {
    const created = await create({ description: "reader" });
    expect(created).toMatchObject({ scopes: ["read"], packagePatterns: [], expiresAt: null });
    expect((await t.request("/api/tokens", { token: created.token })).status).toBe(403);
  });

  it.each([
    ["an empty object", {}],
    ["an array", []],
    ["an extra field", { description: "x", admin: true }],
    ["an unknown scope", { description: "x", scopes: ["root"] }],
    ["no scopes", { description: "x", scopes: [] }],
    ["a description of 201 characters", { description: "d".repeat(201) }],
    ["a blank description", { description: "   " }],
    ["a description with control characters", { description: "a\u0007b" }],
    ["a description that is a number", { description: 42 }],
    ["a bad package pattern", { description: "x", packages: ["Not A Pattern!"] }],
    [
      "101 package patterns",
      { description: "x", packages: Array.from({ length: 101 }, (_, i) => `a/p${i}`) },
    ],
    ["an expiry that is not a date", { description: "x", expiresAt: "tomorrow" }],
    ["an expiry in the past", { description: "x", expiresAt: "2020-01-01T00:00:00Z" }],
  ])("refuses %s with 400 problem+json", async (_label, body) => {
    const response = await api("", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe(PROBLEM);
    const problem = (await response.json()) as { code: string; detail: string; status: number };
    expect(problem.status).toBe(400);
    expect(problem.code).toMatch(
      /^(InvalidRequest|InvalidDescription|InvalidScope|InvalidPackagePattern|InvalidExpiry)$/,
    );
    expect(problem.detail.length).toBeGreaterThan(0);
  });

  it("names the fields at fault", async () => {
    const response = await api("", {
      method: "POST",
      body: { description: "x", scopes: ["root"], extra: 1 },
    });
    const problem = (await response.json()) as { errors: { path: string; message: string }[] };
    expect(problem.errors.map((e) => e.path)).toEqual(expect.arrayContaining(["scopes.0"]));
  });

  it("refuses invalid JSON (400), an oversized body (413) and another media type (415)", async () => {
    const invalid = await api("", {
      method: "POST",
      body: "{",
      headers: { "content-type": "application/json" },
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: "InvalidJson" });

    const big = JSON.stringify({ description: "x".repeat(2 * 1024 * 1024) });
    const tooLarge = await api("", {
      method: "POST",
      body: big,
      headers: { "content-type": "application/json" },
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get("content-type")).toBe(PROBLEM);

    const form = await api("", {
      method: "POST",
      body: "description=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
  });
});

describe("reading tokens", () => {
  it("never shows the secret or its hash in the list or one token", async () => {
    const created = await create({ description: "secret keeper" });
    const list = await api("");
    expect(list.status).toBe(200);
    const listText = await list.text();
    expectNoSecrets(listText, created.token);
    const { tokens } = JSON.parse(listText) as { tokens: { id: string }[] };
    expect(tokens.map((token) => token.id)).toContain(created.id);

    const one = await api(`/${created.id}`);
    expect(one.status).toBe(200);
    const oneText = await one.text();
    expectNoSecrets(oneText, created.token);
    expect(JSON.parse(oneText)).toMatchObject({ id: created.id, description: "secret keeper" });
  });

  it("answers 404 problem+json for an unknown id", async () => {
    for (const id of ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "x".repeat(500), "%00"]) {
      const response = await api(`/${id}`);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toBe(PROBLEM);
      const problem = (await response.json()) as { code: string; detail: string };
      expect(problem.code).toBe("TokenNotFound");
      expect(problem.detail.length).toBeLessThan(200);
    }
  });
});

describe("changing and revoking tokens", () => {
  it("patches the fields given, and only those", async () => {
    const created = await create({ description: "before", expiresAt: "2026-03-01T00:00:00Z" });
    const patched = await api(`/${created.id}`, {
      method: "PATCH",
      body: { description: "after", scopes: ["write"], packages: ["acme/*", "other/x"] },
    });
    expect(patched.status).toBe(200);
    const text = await patched.text();
    expectNoSecrets(text, created.token);
    expect(JSON.parse(text)).toMatchObject({
      description: "after",
      scopes: ["write"],
      packagePatterns: ["acme/*", "other/x"],
      expiresAt: "2026-03-01T00:00:00.000Z",
    });

    const noExpiry = await api(`/${created.id}`, { method: "PATCH", body: { expiresAt: null } });
    expect(await noExpiry.json()).toMatchObject({ description: "after", expiresAt: null });

    const unchanged = await api(`/${created.id}`, { method: "PATCH", body: {} });
    expect(unchanged.status).toBe(200);
  });

  it("refuses bad patches, and patches of unknown tokens", async () => {
    const created = await create({ description: "patch target" });
    for (const body of [
      { token: "pb_x" },
      { scopes: [] },
      { description: "" },
      { expiresAt: "2000-01-01T00:00:00Z" },
    ]) {
      const response = await api(`/${created.id}`, { method: "PATCH", body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers.get("content-type")).toBe(PROBLEM);
    }
    const unknown = await api("/01ARZ3NDEKTSV4RRFFQ69G5FAV", { method: "PATCH", body: { description: "x" } });
    expect(unknown.status).toBe(404);
  });

  it("revokes: the token is refused from its next request on; revoking again is fine", async () => {
    const created = await create({ description: "to revoke" });
    expect((await t.request("/packages.json", { token: created.token })).status).toBe(200);
    const revoked = await api(`/${created.id}`, { method: "DELETE" });
    expect(revoked.status).toBe(200);
    const body = (await revoked.json()) as { revokedAt: string | null };
    expect(body.revokedAt).toBe(t.clock.now().toISOString());
    expectNoSecrets(JSON.stringify(body), created.token);
    expect((await t.request("/packages.json", { token: created.token })).status).toBe(403);

    t.clock.advance(60_000);
    const again = await api(`/${created.id}`, { method: "DELETE" });
    expect(await again.json()).toMatchObject({ revokedAt: body.revokedAt });
    expect((await api("/01ARZ3NDEKTSV4RRFFQ69G5FAV", { method: "DELETE" })).status).toBe(404);
  });

  it("lets an admin token revoke itself, and then refuses it", async () => {
    const self = await create({ description: "self", scopes: ["admin"] });
    const response = await t.request(`/api/tokens/${self.id}`, { method: "DELETE", token: self.token });
    expect(response.status).toBe(200);
    expect((await t.request("/api/tokens", { token: self.token })).status).toBe(403);
  });
});

describe("nobody grants more than they hold", () => {
  let maintainer: { readonly headers: Readonly<Record<string, string>> };

  beforeAll(async () => {
    maintainer = await t.signInAs("maintainer", "maya-tokens@example.org");
  });

  const asMaintainer = (path: string, method: string, body?: object) =>
    t.request(`/api/tokens${path}`, {
      method,
      headers: maintainer.headers,
      ...(body === undefined ? {} : { body }),
    });

  it("refuses a maintainer an admin token (it would manage users and read the audit log), and allows read and write", async () => {
    for (const scopes of [["admin"], ["read", "admin"]]) {
      const refused = await asMaintainer("", "POST", { description: "escalate", scopes });
      expect(refused.status).toBe(403);
      expect(refused.headers.get("content-type")).toBe(PROBLEM);
      const problem = (await refused.json()) as {
        code: string;
        detail: string;
        missing_permissions: string[];
      };
      expect(problem.code).toBe("ScopeBeyondGrant");
      expect(problem.detail).toMatch(/^the maintainer role cannot create a token with the .*"admin" scope/);
      expect(problem.missing_permissions).toEqual(expect.arrayContaining(["users:manage", "audit:read"]));
    }
    const listed = (await (await api("")).json()) as { tokens: { description: string }[] };
    expect(listed.tokens.map((token) => token.description)).not.toContain("escalate");
    // Each attempt is on the record, as a warning.
    const attempts = (await (
      await t.request(
        `/api/audit/events?q=${encodeURIComponent("event:token action:created outcome:denied")}`,
        {
          token: admin.token,
        },
      )
    ).json()) as { events: { severity: string; details: { code: string } }[] };
    expect(attempts.events).toHaveLength(2);
    expect(attempts.events[0]).toMatchObject({ severity: "warning", details: { code: "ScopeBeyondGrant" } });

    const write = await asMaintainer("", "POST", { description: "ci", scopes: ["write"] });
    expect(write.status).toBe(201);
    const made = (await write.json()) as CreatedToken;
    expect((await t.request("/api/users", { token: made.token, scheme: "bearer" })).status).toBe(403);
    const read = await asMaintainer("", "POST", { description: "install" });
    expect(read.status).toBe(201);
  });

  it("refuses a maintainer changes to an admin token, or widening one to admin, and lets them revoke it", async () => {
    const own = (await (
      await asMaintainer("", "POST", { description: "mine", scopes: ["read"] })
    ).json()) as CreatedToken;
    const widened = await asMaintainer(`/${own.id}`, "PATCH", { scopes: ["admin"] });
    expect(widened.status).toBe(403);
    expect(await widened.json()).toMatchObject({ code: "ScopeBeyondGrant" });

    const powerful = await create({ description: "admin's", scopes: ["admin"] });
    for (const patch of [
      { expiresAt: null },
      { packages: [] },
      { scopes: ["read"] },
      { description: "mine now" },
    ]) {
      const changed = await asMaintainer(`/${powerful.id}`, "PATCH", patch);
      expect(changed.status, JSON.stringify(patch)).toBe(403);
      expect(await changed.json()).toMatchObject({ code: "ScopeBeyondGrant" });
    }
    const unchanged = (await (await api(`/${powerful.id}`)).json()) as CreatedToken;
    expect(unchanged).toMatchObject({ description: "admin's", scopes: ["admin"] });

    const revoked = await asMaintainer(`/${powerful.id}`, "DELETE");
    expect(revoked.status).toBe(200);
    expect((await t.request("/api/tokens", { token: powerful.token, scheme: "bearer" })).status).toBe(403);
  });

  it("refuses an admin token to a maintainer's own admin-scoped personal token too (narrowed to the role)", async () => {
    const personal = await t.request("/api/me/tokens", {
      method: "POST",
      headers: maintainer.headers,
      body: { description: "personal admin", scopes: ["admin"] },
    });
    expect(personal.status).toBe(201);
    const { token } = (await personal.json()) as CreatedToken;
    const refused = await t.request("/api/tokens", {
      method: "POST",
      token,
      scheme: "bearer",
      body: { description: "escalate again", scopes: ["admin"] },
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "ScopeBeyondGrant" });
  });

  it("lets an admin create admin tokens", async () => {
    const admin2 = await t.signInAs("admin", "ada-tokens@example.org");
    const made = await t.request("/api/tokens", {
      method: "POST",
      headers: admin2.headers,
      body: { description: "ops", scopes: ["admin"] },
    });
    expect(made.status).toBe(201);
  });
});
