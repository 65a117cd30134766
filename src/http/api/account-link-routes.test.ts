import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PASSWORD, TestRuntime, type TestSession } from "../../../test/builders/test-runtime.ts";
import { SmtpTestServer } from "../../../test/support/smtp-test-server.ts";
import { rowToEvent } from "../../audit/audit-row.ts";

const NEW_PASSWORD = "a completely different passphrase 77";

let smtp: SmtpTestServer;
let t: TestRuntime;
let admin: TestSession;

beforeAll(async () => {
  smtp = await SmtpTestServer.start();
  t = await TestRuntime.start({
    env: { PB_SMTP_URL: smtp.url(), PB_SMTP_FROM: "PACKAGE.broker <broker@example.org>" },
  });
  admin = await t.signInAs("admin");
});

afterAll(async () => {
  await t.cleanup();
  await smtp.stop();
});

interface Issued {
  link: { id: string; purpose: string; status: string };
  url: string;
  delivery: { status: string };
}

/** The token of a link: what the dashboard reads from the fragment and sends in a body. */
function tokenOf(url: string): string {
  return new URL(url).hash.slice(1);
}

async function accept(body: object): Promise<Response> {
  return t.request("/api/account-links/accept", { method: "POST", body });
}

async function latest(action: string) {
  const row = await t.runtime.audit.records.latestEvent("user", action);
  return row === null ? null : rowToEvent(row);
}

describe("invitations", () => {
  let invitation: Issued;

  it("invites by e-mail, and shows the link to the inviting admin too", async () => {
    const response = await t.request("/api/invitations", {
      method: "POST",
      headers: admin.headers,
      body: { email: "New.Person@Example.org", role: "maintainer" },
    });
    expect(response.status).toBe(201);
    invitation = (await response.json()) as Issued;
    expect(invitation.url).toMatch(/^http:\/\/broker\.test\/invite#[A-Za-z0-9_-]{43}$/);
    expect(invitation.delivery).toEqual({ status: "sent" });
    const mail = smtp.messages.at(-1);
    expect(mail?.envelopeTo).toEqual(["new.person@example.org"]);
    expect(mail?.text).toContain(invitation.url);
    const listed = (await (await t.request("/api/invitations", { headers: admin.headers })).json()) as {
      invitations: { id: string }[];
    };
    expect(listed.invitations.map((i) => i.id)).toContain(invitation.link.id);
    expect(await latest("invited")).toMatchObject({ outcome: "success", actor: { id: admin.userId } });
  });

  it("describes the link without using it", async () => {
    const response = await t.request("/api/account-links/describe", {
      method: "POST",
      body: { token: tokenOf(invitation.url) },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      purpose: "invitation",
      email: "new.person@example.org",
      role: "maintainer",
    });
  });

  it("refuses a weak password and keeps the link usable", async () => {
    const response = await accept({ token: tokenOf(invitation.url), password: "password123" });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "WeakPassword" });
  });

  it("creates the account once, and the person signs in", async () => {
    const response = await accept({
      token: tokenOf(invitation.url),
      password: NEW_PASSWORD,
      name: "New Person",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      purpose: "invitation",
      user: { email: "new.person@example.org", role: "maintainer", passwordSet: true },
    });
    const again = await accept({ token: tokenOf(invitation.url), password: NEW_PASSWORD });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ code: "LinkInvalid" });
    const signIn = await t.request("/api/session", {
      method: "POST",
      body: { email: "new.person@example.org", password: NEW_PASSWORD },
    });
    expect(signIn.status).toBe(200);
  });

  it("revokes an invitation: its link stops working", async () => {
    const issued = (await (
      await t.request("/api/invitations", {
        method: "POST",
        headers: admin.headers,
        body: { email: "changed-mind@example.org", role: "viewer" },
      })
    ).json()) as Issued;
    const revoked = await t.request(`/api/invitations/${issued.link.id}`, {
      method: "DELETE",
      headers: admin.headers,
    });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ status: "revoked" });
    const used = await accept({ token: tokenOf(issued.url), password: NEW_PASSWORD });
    expect(used.status).toBe(404);
  });

  it.each([
    ["an unknown token", { token: "A".repeat(43), password: NEW_PASSWORD }, 404],
    ["an empty token", { token: "", password: NEW_PASSWORD }, 404],
    ["a 10 KB token", { token: "x".repeat(10_000), password: NEW_PASSWORD }, 400],
    ["a token that is a number", { token: 42, password: NEW_PASSWORD }, 400],
    ["an unknown field", { token: "A".repeat(43), password: NEW_PASSWORD, role: "admin" }, 400],
  ])("answers %s with a clear 4xx", async (_name, body, status) => {
    const response = await accept(body);
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("refuses an invitation of an existing user or an invalid address", async () => {
    for (const [email, code] of [
      ["admin@example.org", "UserExists"],
      ["not an address", "InvalidEmail"],
    ] as const) {
      const response = await t.request("/api/invitations", {
        method: "POST",
        headers: admin.headers,
        body: { email, role: "viewer" },
      });
      expect(await response.json()).toMatchObject({ code });
    }
  });
});

describe("passwords", () => {
  it("resets a password through an admin's link, which ends the person's sessions", async () => {
    const person = await t.signInAs("viewer", "forgetful@example.org");
    const response = await t.request(`/api/users/${person.userId}/password-reset`, {
      method: "POST",
      headers: admin.headers,
    });
    expect(response.status).toBe(201);
    const issued = (await response.json()) as Issued;
    expect(issued.url).toMatch(/\/reset-password#/);
    const accepted = await accept({ token: tokenOf(issued.url), password: NEW_PASSWORD });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ purpose: "password-reset", endedSessions: 1 });
    expect((await t.request("/api/me", { headers: person.headers })).status).toBe(401);
    const signIn = await t.request("/api/session", {
      method: "POST",
      body: { email: "forgetful@example.org", password: NEW_PASSWORD },
    });
    expect(signIn.status).toBe(200);
    expect(await latest("password_reset_completed")).toMatchObject({ outcome: "success" });
  });

  it("changes one's own password with the current one, ending the other sessions only", async () => {
    const person = await t.signInAs("maintainer", "careful@example.org");
    const other = await t.request("/api/session", {
      method: "POST",
      body: { email: "careful@example.org", password: TEST_PASSWORD },
    });
    const otherCookie = (other.headers.get("set-cookie") ?? "").split(";")[0] ?? "";

    const wrong = await t.request("/api/me/password", {
      method: "POST",
      headers: person.headers,
      body: { currentPassword: "not it at all, sorry", newPassword: NEW_PASSWORD },
    });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ code: "WrongCurrentPassword" });

    const changed = await t.request("/api/me/password", {
      method: "POST",
      headers: person.headers,
      body: { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ endedSessions: 1 });
    expect((await t.request("/api/me", { headers: person.headers })).status).toBe(200);
    expect((await t.request("/api/me", { headers: { cookie: otherCookie } })).status).toBe(401);
    expect(await latest("password_changed")).toMatchObject({
      outcome: "success",
      actor: { id: person.userId },
    });
  });

  it("revokes an open reset link when the account is deleted", async () => {
    const person = await t.signInAs("viewer", "deleted-later@example.org");
    const issued = (await (
      await t.request(`/api/users/${person.userId}/password-reset`, {
        method: "POST",
        headers: admin.headers,
      })
    ).json()) as Issued;
    expect(
      (await t.request(`/api/users/${person.userId}`, { method: "DELETE", headers: admin.headers })).status,
    ).toBe(200);
    const used = await accept({ token: tokenOf(issued.url), password: NEW_PASSWORD });
    expect(used.status).toBe(404);
  });
});

describe("the first-run setup link", () => {
  it("creates the first admin, once", async () => {
    const fresh = await TestRuntime.start();
    try {
      const created = await fresh.runtime.accountLinks.createSetupLink();
      const token = tokenOf(created.url);
      const described = await fresh.request("/api/account-links/describe", {
        method: "POST",
        body: { token },
      });
      expect(await described.json()).toMatchObject({ purpose: "setup", email: null, role: "admin" });
      const accepted = await fresh.request("/api/account-links/accept", {
        method: "POST",
        body: { token, email: "first@example.org", password: NEW_PASSWORD },
      });
      expect(accepted.status).toBe(200);
      expect(await accepted.json()).toMatchObject({ user: { email: "first@example.org", role: "admin" } });
      const again = await fresh.request("/api/account-links/accept", {
        method: "POST",
        body: { token, email: "second@example.org", password: NEW_PASSWORD },
      });
      expect(again.status).toBe(404);
    } finally {
      await fresh.cleanup();
    }
  });
});

describe("the sign-in lockout", () => {
  it("counts wrong current passwords at a password change, and locks the account like failed sign-ins", async () => {
    const locked = await TestRuntime.start({ env: { PB_LOGIN_MAX_FAILURES: "3" } });
    try {
      const person = await locked.signInAs("viewer", "guessed@example.org");
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 4; attempt += 1) {
        const response = await locked.request("/api/me/password", {
          method: "POST",
          headers: person.headers,
          body: { currentPassword: `guess number ${attempt} of many`, newPassword: NEW_PASSWORD },
        });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([403, 403, 403, 429]);
      const signIn = await locked.request("/api/session", {
        method: "POST",
        body: { email: "guessed@example.org", password: TEST_PASSWORD },
      });
      expect(signIn.status).toBe(429);
    } finally {
      await locked.cleanup();
    }
  });
});
