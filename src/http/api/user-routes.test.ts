import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";
import { rowToEvent } from "../../audit/audit-row.ts";

const PASSWORD = "correct horse battery staple 42";

let t: TestRuntime;
let admin: TestToken;

beforeAll(async () => {
  t = await TestRuntime.start();
  admin = await t.createToken({ scopes: ["admin"], description: "admin" });
});

afterAll(async () => {
  await t.cleanup();
});

const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
  t.request(`/api/users${path}`, {
    method: init.method ?? "GET",
    token: admin.token,
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === "string" ? init.body : (init.body as object) }),
  });

async function latest(action: string) {
  const row = await t.runtime.audit.records.latestEvent("user", action);
  return row === null ? null : rowToEvent(row);
}

interface User {
  id: string;
  email: string;
  role: string;
  status: string;
}

describe("/api/users", () => {
  let first: User;

  it("creates, lists and shows users, never with a password hash", async () => {
    const created = await api("", {
      method: "POST",
      body: { email: "Lin@Example.org", role: "admin", password: PASSWORD },
    });
    expect(created.status).toBe(201);
    first = (await created.json()) as User;
    expect(created.headers.get("location")).toBe(`/api/users/${first.id}`);
    expect(first).toMatchObject({ email: "lin@example.org", role: "admin", status: "active" });
    const list = await api("");
    const text = await list.text();
    expect(JSON.parse(text)).toMatchObject({ users: [{ id: first.id }] });
    expect(text).not.toMatch(/scrypt|hash|totp/i);
    expect(await (await api(`/${first.id}`)).json()).toEqual(first);
    expect(await latest("created")).toMatchObject({ outcome: "success", target: { id: first.id } });
  });

  it("changes a role, and records it as a privilege change with before and after", async () => {
    const other = (await (
      await api("", { method: "POST", body: { email: "max@example.org", role: "viewer" } })
    ).json()) as User;
    const changed = await api(`/${other.id}`, { method: "PATCH", body: { role: "maintainer" } });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ role: "maintainer" });
    expect(await latest("role_changed")).toMatchObject({
      severity: "warning",
      actor: { type: "token" },
      target: { type: "user", id: other.id },
      details: {
        before: { role: "viewer", status: "active" },
        after: { role: "maintainer", status: "active" },
      },
    });
  });

  it("blocks a user: their session stops working on the next request; unblocking does not revive it", async () => {
    const user = (await (
      await api("", {
        method: "POST",
        body: { email: "sam@example.org", role: "viewer", password: PASSWORD },
      })
    ).json()) as User;
    const signedIn = await t.request("/api/session", {
      method: "POST",
      body: { email: "sam@example.org", password: PASSWORD },
    });
    const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect((await t.request("/api/repositories", { headers: { cookie } })).status).toBe(200);
    expect((await api(`/${user.id}`, { method: "PATCH", body: { status: "blocked" } })).status).toBe(200);
    expect(await latest("blocked")).toMatchObject({ severity: "warning", target: { id: user.id } });
    const refused = await t.request("/api/repositories", { headers: { cookie } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: "SessionRequired" });
    const login = await t.request("/api/session", {
      method: "POST",
      body: { email: "sam@example.org", password: PASSWORD },
    });
    expect(login.status).toBe(401);
    await api(`/${user.id}`, { method: "PATCH", body: { status: "active" } });
    expect((await t.request("/api/repositories", { headers: { cookie } })).status).toBe(401);
  });

  it("keeps the last active admin: no demotion, no block (409 LastAdmin), recorded", async () => {
    for (const body of [{ role: "viewer" }, { status: "blocked" }]) {
      const response = await api(`/${first.id}`, { method: "PATCH", body });
      expect(response.status).toBe(409);
      expect(await response.json()).toMatchObject({ code: "LastAdmin" });
      expect(await latest("updated")).toMatchObject({ outcome: "failure", details: { code: "LastAdmin" } });
    }
    expect(await (await api(`/${first.id}`)).json()).toMatchObject({ role: "admin", status: "active" });
  });

  it.each([
    ["an unknown field", "POST", "", { email: "a@example.org", role: "viewer", isAdmin: true }, 400],
    ["an unknown role", "POST", "", { email: "a@example.org", role: "root" }, 400],
    ["a bad address", "POST", "", { email: "a@", role: "viewer" }, 400],
    ["a weak password", "POST", "", { email: "a@example.org", role: "viewer", password: "password" }, 400],
    ["a taken address", "POST", "", { email: "LIN@example.org", role: "viewer" }, 409],
    ["an unknown user", "PATCH", "/usr_nope", { role: "viewer" }, 404],
    ["a bad status", "PATCH", "/usr_nope", { status: "deleted" }, 400],
    ["a body that is not JSON", "POST", "", "{", 415],
  ])("refuses %s, and changes nothing", async (_name, method, path, body, status) => {
    const before = await (await api("")).text();
    const response = await api(path, { method, body });
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await (await api("")).text()).toBe(before);
  });
});
