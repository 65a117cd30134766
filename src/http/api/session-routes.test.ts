import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime } from "../../../test/builders/test-runtime.ts";
import type { AuditEvent } from "../../audit/audit-event.ts";
import { rowToEvent } from "../../audit/audit-row.ts";

const PASSWORD = "correct horse battery staple 42";

let t: TestRuntime;
let adaId: string;

beforeAll(async () => {
  t = await TestRuntime.start();
  const ada = await t.runtime.users.create({ email: "ada@example.org", role: "admin", password: PASSWORD });
  adaId = ada.id;
  await t.runtime.users.create({ email: "grace@example.org", role: "viewer", password: PASSWORD });
});

afterAll(async () => {
  await t.cleanup();
});

const login = (body: unknown, headers: Record<string, string> = {}) =>
  t.request("/api/session", {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : (body as object),
  });

function cookieOf(response: Response): string {
  const header = response.headers.get("set-cookie") ?? "";
  return header.split(";")[0] ?? "";
}

async function lastEvents(action: string, count = 1): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const row of t.runtime.audit.records.scan()) {
    if (row.action === action) events.push(rowToEvent(row));
  }
  return events.slice(-count);
}

describe("/api/session", () => {
  it("signs in: an HttpOnly, SameSite=Strict cookie, the CSRF token, the user; recorded", async () => {
    const response = await login({ email: "Ada@Example.org", password: PASSWORD });
    expect(response.status).toBe(200);
    const setCookie = response.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^pb_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/); // http://broker.test
    const body = (await response.json()) as { user: { id: string; email: string }; csrfToken: string };
    expect(body.user).toMatchObject({ id: adaId, email: "ada@example.org", role: "admin" });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(body)).not.toMatch(/scrypt|passwordHash/);
    const [event] = await lastEvents("login_succeeded");
    expect(event).toMatchObject({
      event: "authentication",
      outcome: "success",
      actor: { type: "user", id: adaId, auth_method: "session" },
      target: { type: "user", id: adaId },
      details: { second_factor: null },
    });
  });

  it("knows the session; logs out only with the CSRF token; then the cookie is worthless", async () => {
    const signedIn = await login({ email: "ada@example.org", password: PASSWORD });
    const cookie = cookieOf(signedIn);
    const { csrfToken } = (await signedIn.json()) as { csrfToken: string };
    const me = await t.request("/api/session", { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { id: adaId } });

    const forged = await t.request("/api/session", { method: "DELETE", headers: { cookie } });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ code: "CsrfRejected" });
    const wrong = await t.request("/api/session", {
      method: "DELETE",
      headers: { cookie, "x-csrf-token": "A".repeat(43) },
    });
    expect(wrong.status).toBe(403);

    const out = await t.request("/api/session", {
      method: "DELETE",
      headers: { cookie, "x-csrf-token": csrfToken },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^pb_session=;.*Max-Age=0/);
    const after = await t.request("/api/session", { headers: { cookie } });
    expect(after.status).toBe(401);
    // No Basic challenge on the dashboard's routes: a browser would pop up its own dialog.
    expect(after.headers.get("www-authenticate")).toBe('Session realm="PACKAGE.broker"');
    expect(await after.json()).toMatchObject({ code: "SessionRequired" });
    expect(await lastEvents("logout")).toMatchObject([
      { actor: { id: adaId }, outcome: "success", details: { everywhere: false, sessions: 1 } },
    ]);
    expect(await lastEvents("csrf_rejected", 2)).toMatchObject([
      { outcome: "denied", actor: { id: adaId } },
      { outcome: "denied", actor: { id: adaId } },
    ]);
  });

  it("logs out everywhere: every session of the user ends, others' do not", async () => {
    const signIn = async (email: string) => {
      const response = await login({ email, password: PASSWORD });
      const { csrfToken } = (await response.json()) as { csrfToken: string };
      return { cookie: cookieOf(response), csrfToken };
    };
    const laptop = await signIn("ada@example.org");
    const phone = await signIn("ada@example.org");
    const grace = await signIn("grace@example.org");
    const out = await t.request("/api/session?everywhere=true", {
      method: "DELETE",
      headers: { cookie: phone.cookie, "x-csrf-token": phone.csrfToken },
    });
    expect(out.status).toBe(204);
    for (const session of [laptop, phone]) {
      expect((await t.request("/api/session", { headers: { cookie: session.cookie } })).status).toBe(401);
    }
    expect((await t.request("/api/session", { headers: { cookie: grace.cookie } })).status).toBe(200);
    const [event] = await lastEvents("logout");
    expect(event?.details).toMatchObject({ everywhere: true });
    expect((event?.details as { sessions: number }).sessions).toBeGreaterThanOrEqual(2);
  });

  it("refuses an unknown account and a wrong password alike, and records which it was", async () => {
    const unknown = await login({ email: "nobody@example.org", password: PASSWORD });
    const wrong = await login({ email: "grace@example.org", password: "not the password at all" });
    expect([unknown.status, wrong.status]).toEqual([401, 401]);
    const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });
    expect(strip((await unknown.json()) as Record<string, unknown>)).toEqual(
      strip((await wrong.json()) as Record<string, unknown>),
    );
    expect(unknown.headers.get("www-authenticate")).toBe('Session realm="PACKAGE.broker"');
    const events = await lastEvents("login_failed", 2);
    expect(events.map((event) => event.details)).toEqual([
      { code: "InvalidCredentials", reason: "unknown-account" },
      { code: "InvalidCredentials", reason: "wrong-password" },
    ]);
    expect(events[0]?.target).toEqual({ type: "user" });
    expect(JSON.stringify(events)).not.toMatch(/nobody@example|grace@example/);
  });

  it.each([
    ["another media type", "email=a", { "content-type": "application/x-www-form-urlencoded" }, 415],
    ["broken JSON", "{", { "content-type": "application/json" }, 400],
    [
      "an unknown field",
      JSON.stringify({ email: "a@b.c", password: "x", admin: true }),
      { "content-type": "application/json" },
      400,
    ],
    [
      "a number for the e-mail",
      JSON.stringify({ email: 5, password: "x" }),
      { "content-type": "application/json" },
      400,
    ],
    [
      "a 1 MB password",
      JSON.stringify({ email: "a@b.c", password: "x".repeat(1 << 20) }),
      { "content-type": "application/json" },
      413,
    ],
  ])("refuses %s clearly, and records it", async (_name, body, headers, status) => {
    const response = await t.request("/api/session", { method: "POST", headers, body });
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.has("set-cookie")).toBe(false);
    const [event] = await lastEvents("login_failed");
    expect(event).toMatchObject({ outcome: "failure", details: { reason: "malformed" } });
  });

  it("locks an account out after 10 failures, with 429 and Retry-After, and records the lockout", async () => {
    await t.runtime.users.create({ email: "locked@example.org", role: "viewer", password: PASSWORD });
    for (let i = 0; i < 10; i++) {
      const response = await login({ email: "locked@example.org", password: `wrong guess number ${i}` });
      expect(response.status).toBe(401);
    }
    const refused = await login({ email: "locked@example.org", password: PASSWORD });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ code: "LoginLocked" });
    expect(await lastEvents("login_locked")).toMatchObject([
      { outcome: "denied", severity: "warning", details: { code: "LoginLocked", reason: "locked" } },
    ]);
    t.clock.advance(11 * 60_000);
    expect((await login({ email: "locked@example.org", password: PASSWORD })).status).toBe(200);
  });

  it("refuses an idle, a replayed and a forged session cookie on every guarded route, and records it", async () => {
    const session = await t.signInAs("maintainer", "idle@example.org");
    expect((await t.request("/api/repositories", { headers: session.headers })).status).toBe(200);

    const forged = { ...session.headers, cookie: `pb_session=${"A".repeat(43)}` };
    const refused = await t.request("/api/repositories", { headers: forged });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Session/);
    expect(await refused.json()).toMatchObject({ code: "SessionRequired" });
    expect((await lastEvents("session_invalid"))[0]).toMatchObject({ outcome: "failure" });

    // Two hours and a second without a request: the idle timeout ended it.
    t.clock.advance(2 * 3_600_000 + 1_000);
    const idle = await t.request("/api/repositories", { headers: session.headers });
    expect(idle.status).toBe(401);

    const again = await t.signInAs("maintainer", "replayed@example.org");
    const signedOut = await t.request("/api/session", { method: "DELETE", headers: again.headers });
    expect(signedOut.status).toBe(204);
    const replayed = await t.request("/api/me/tokens", {
      method: "POST",
      headers: again.headers,
      body: { description: "after sign-out" },
    });
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ code: "SessionRequired" });
  });
});
