import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PASSWORD, TestRuntime, type TestSession } from "../../../test/builders/test-runtime.ts";
import { rowToEvent } from "../../audit/audit-row.ts";

let t: TestRuntime;
let admin: TestSession;

beforeAll(async () => {
  t = await TestRuntime.start();
  admin = await t.signInAs("admin");
});

afterAll(async () => {
  await t.cleanup();
});

/** The code an authenticator app shows now for this secret (the clock moves on a step first: codes are spent). */
function currentCode(secret: string): string {
  t.clock.advance(30_000);
  return new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: t.clock.now().getTime() });
}

async function enrol(session: TestSession): Promise<{ secret: string; recoveryCodes: string[] }> {
  const begun = await t.request("/api/me/two-factor", { method: "POST", headers: session.headers });
  expect(begun.status).toBe(200);
  const { secret, uri } = (await begun.json()) as { secret: string; uri: string };
  expect(uri).toMatch(/^otpauth:\/\/totp\//);
  const confirmed = await t.request("/api/me/two-factor/confirm", {
    method: "POST",
    headers: session.headers,
    body: { code: currentCode(secret) },
  });
  expect(confirmed.status).toBe(200);
  const { recoveryCodes } = (await confirmed.json()) as { recoveryCodes: string[] };
  return { secret, recoveryCodes };
}

async function latest(event: string, action: string) {
  const row = await t.runtime.audit.records.latestEvent(event, action);
  return row === null ? null : rowToEvent(row);
}

describe("two-factor authentication of one's own account", () => {
  it("enrols with a code, then asks for one at sign-in", async () => {
    const person = await t.signInAs("viewer", "totp@example.org");
    const { secret, recoveryCodes } = await enrol(person);
    expect(recoveryCodes.length).toBeGreaterThanOrEqual(8);
    const status = await t.request("/api/me/two-factor", { headers: person.headers });
    expect(await status.json()).toMatchObject({
      enabled: true,
      pending: false,
      recoveryCodesLeft: recoveryCodes.length,
    });
    expect(await latest("user", "two_factor_enabled")).toMatchObject({
      outcome: "success",
      actor: { id: person.userId },
    });

    const withoutCode = await t.request("/api/session", {
      method: "POST",
      body: { email: "totp@example.org", password: TEST_PASSWORD },
    });
    expect(withoutCode.status).toBe(401);
    expect(await withoutCode.json()).toMatchObject({ code: "TwoFactorRequired" });
    const withCode = await t.request("/api/session", {
      method: "POST",
      body: { email: "totp@example.org", password: TEST_PASSWORD, code: currentCode(secret) },
    });
    expect(withCode.status).toBe(200);
  });

  it("refuses a wrong code at confirmation, and recorded it", async () => {
    const person = await t.signInAs("viewer", "wrong-code@example.org");
    await t.request("/api/me/two-factor", { method: "POST", headers: person.headers });
    const refused = await t.request("/api/me/two-factor/confirm", {
      method: "POST",
      headers: person.headers,
      body: { code: "000000" },
    });
    expect(refused.status).toBe(400);
    expect(await latest("user", "two_factor_enabled")).toMatchObject({ outcome: "failure" });
  });

  it("turns 2FA off only with the password, and regenerates recovery codes with a code", async () => {
    const person = await t.signInAs("maintainer", "off@example.org");
    const { secret, recoveryCodes } = await enrol(person);
    const renewed = await t.request("/api/me/two-factor/recovery-codes", {
      method: "POST",
      headers: person.headers,
      body: { code: currentCode(secret) },
    });
    expect(renewed.status).toBe(200);
    const fresh = ((await renewed.json()) as { recoveryCodes: string[] }).recoveryCodes;
    expect(fresh).not.toEqual(recoveryCodes);

    const wrong = await t.request("/api/me/two-factor/disable", {
      method: "POST",
      headers: person.headers,
      body: { password: "not the password at all" },
    });
    expect(wrong.status).toBe(403);
    const off = await t.request("/api/me/two-factor/disable", {
      method: "POST",
      headers: person.headers,
      body: { password: TEST_PASSWORD },
    });
    expect(off.status).toBe(204);
    expect(await latest("user", "two_factor_disabled")).toMatchObject({ outcome: "success" });
  });

  it("lets an admin reset someone's 2FA, which signs them out", async () => {
    const person = await t.signInAs("viewer", "lost-phone@example.org");
    await enrol(person);
    const reset = await t.request(`/api/users/${person.userId}/two-factor`, {
      method: "DELETE",
      headers: admin.headers,
    });
    expect(reset.status).toBe(200);
    expect(await reset.json()).toEqual({ sessionsEnded: 1 });
    expect((await t.request("/api/me", { headers: person.headers })).status).toBe(401);
    expect(await latest("user", "two_factor_reset")).toMatchObject({
      actor: { id: admin.userId },
      target: { id: person.userId },
    });
  });
});

describe("the 2FA policy (/api/settings)", () => {
  it("will not be turned on by an admin who has no 2FA themselves", async () => {
    const response = await t.request("/api/settings", {
      method: "PATCH",
      headers: admin.headers,
      body: { security: { requireTwoFactor: true } },
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: "TwoFactorRequiredForPolicy" });
  });

  it("restricts a person without 2FA to enrolling, until they have", async () => {
    const secured = await t.signInAs("admin", "secured-admin@example.org");
    await enrol(secured);
    const before = (await (await t.request("/api/settings", { headers: secured.headers })).json()) as object;
    expect(before).toMatchObject({ security: { requireTwoFactor: false } });
    const on = await t.request("/api/settings", {
      method: "PATCH",
      headers: secured.headers,
      body: { security: { requireTwoFactor: true } },
    });
    expect(on.status).toBe(200);
    expect(await on.json()).toMatchObject({ security: { requireTwoFactor: true } });
    expect(await latest("configuration", "settings_changed")).toMatchObject({
      severity: "warning",
      details: {
        before: { "security.requireTwoFactor": false },
        after: { "security.requireTwoFactor": true },
      },
    });

    const person = await t.signInAs("maintainer", "late@example.org");
    const session = (await (await t.request("/api/session", { headers: person.headers })).json()) as {
      twoFactorEnrolmentRequired: boolean;
      csrfToken: string;
    };
    expect(session.twoFactorEnrolmentRequired).toBe(true);
    expect(session.csrfToken).toBe(person.headers["x-csrf-token"]);
    const refused = await t.request("/api/repositories", { headers: person.headers });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "TwoFactorEnrolmentRequired" });
    expect(await latest("authentication", "two_factor_enrolment_pending")).toMatchObject({
      outcome: "denied",
    });
    expect((await t.request("/api/me", { headers: person.headers })).status).toBe(200);
    const token = await t.request("/api/me/tokens", {
      method: "POST",
      headers: person.headers,
      body: { description: "not yet" },
    });
    expect(token.status).toBe(403);

    await enrol(person);
    expect((await t.request("/api/repositories", { headers: person.headers })).status).toBe(200);

    const off = await t.request("/api/settings", {
      method: "PATCH",
      headers: secured.headers,
      body: { security: { requireTwoFactor: false } },
    });
    expect(off.status).toBe(200);
  });

  it("refuses unknown settings, wrong types and the read-only legal hold", async () => {
    for (const body of [
      { security: { requireTwoFactor: "yes" } },
      { security: { unknown: true } },
      { audit: { legalHold: { active: true } } },
      { audit: { retentionDays: { authentication: -1 } } },
    ]) {
      const response = await t.request("/api/settings", { method: "PATCH", headers: admin.headers, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
  });

  it("changes retention days through the same document, with the retention's own event", async () => {
    const response = await t.request("/api/settings", {
      method: "PATCH",
      headers: admin.headers,
      body: { audit: { retentionDays: { authentication: 730 } } },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ audit: { retentionDays: { authentication: 730 } } });
    expect(await latest("audit", "retention_changed")).toMatchObject({ outcome: "success" });
  });
});
