import { randomBytes } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { recordingTrail, userTrail, type RecordingTrail } from "../../test/builders/recording-trail.ts";
import { createTestDatabase, testEngines } from "../../test/support/test-databases.ts";
import { ManualClock } from "../clock/clock.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { LoginFailureRecords } from "../storage/database/login-failure-records.ts";
import { RecoveryCodeRecords } from "../storage/database/recovery-code-records.ts";
import { SessionRecords } from "../storage/database/session-records.ts";
import { TwoFactorRecords } from "../storage/database/two-factor-records.ts";
import { UserRecords, type UserRecord } from "../storage/database/user-records.ts";
import { hashPassword } from "./password-hash.ts";
import { SecretBox } from "./secret-box.ts";
import { SessionService, type LoginInput } from "./session-service.ts";
import { TwoFactorService } from "./two-factor-service.ts";

const PASSWORD = "correct horse battery staple";
const STEP = 30_000;

let passwordHash: string;
beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
});

function totpCode(secret: string, at: Date): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({
    timestamp: at.getTime(),
  });
}

interface Fixture {
  twoFactor: TwoFactorService;
  sessions: SessionService;
  clock: ManualClock;
  users: UserRecords;
  recoveryCodes: RecoveryCodeRecords;
  policy: { required: boolean };
  ada: UserRecord;
  admin: UserRecord;
  /** Ada's own trail (her session). */
  trail: RecordingTrail;
}

describe.each(testEngines())("TwoFactorService on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(): Promise<Fixture> {
    handle = await createTestDatabase(engine);
    const users = new UserRecords(handle.db);
    const recoveryCodes = new RecoveryCodeRecords(handle.db);
    const failures = new LoginFailureRecords(handle.db);
    const clock = new ManualClock("2026-03-02T09:00:00.000Z");
    const secretBox = new SecretBox(randomBytes(32));
    const policy = { required: false };
    const twoFactorPolicy = { requireTwoFactor: () => Promise.resolve(policy.required) };
    const lockout = { maxFailures: 3, windowMs: 600_000 };
    const twoFactor = new TwoFactorService({
      users,
      recoveryCodes,
      twoFactor: new TwoFactorRecords(handle.db),
      failures,
      secretBox,
      clock,
      policy: twoFactorPolicy,
      lockout,
    });
    const sessions = new SessionService({
      users,
      sessions: new SessionRecords(handle.db),
      failures,
      recoveryCodes,
      secretBox,
      clock,
      twoFactorPolicy,
    });
    const add = async (name: string, role: string): Promise<UserRecord> => {
      const user = await users.insert({
        id: `usr_${name}`,
        email: `${name}@example.org`,
        name: null,
        role,
        passwordHash,
        createdAt: clock.now().toISOString(),
      });
      if (user === null) throw new Error("not inserted");
      return user;
    };
    const ada = await add("ada", "maintainer");
    const admin = await add("root", "admin");
    return { twoFactor, sessions, clock, users, recoveryCodes, policy, ada, admin, trail: userTrail(ada.id) };
  }

  const login = (f: Fixture, input: Partial<LoginInput> = {}) =>
    f.sessions.login({
      email: "ada@example.org",
      password: PASSWORD,
      ipAddress: "192.0.2.1",
      userAgent: null,
      ...input,
    });

  /** Enrols Ada; the clock then stands on the next step. */
  async function enrol(f: Fixture): Promise<{ secret: string; recoveryCodes: string[] }> {
    const { secret } = await f.twoFactor.beginTotp(f.ada.id);
    const { recoveryCodes } = await f.twoFactor.confirmTotp(
      f.ada.id,
      totpCode(secret, f.clock.now()),
      f.trail,
    );
    f.clock.advance(STEP);
    return { secret, recoveryCodes };
  }

  it("enrols: sealed secret, enabled by a current code, recovery codes handed out once", async () => {
    const f = await open();
    const { secret, uri } = await f.twoFactor.beginTotp(f.ada.id);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri).toMatch(/^otpauth:\/\/totp\/PACKAGE\.broker:ada%40example\.org\?/);
    const pending = (await f.users.findById(f.ada.id))!;
    expect(pending.totpSecret).toMatch(/^v1\./);
    expect(pending.totpSecret).not.toContain(secret);
    expect(await f.twoFactor.status(f.ada.id)).toMatchObject({ enabled: false, pending: true });
    expect((await login(f)).user.twoFactor).toBe(false);

    for (const wrong of [
      "000000",
      { code: 1 },
      "",
      null,
      "1".repeat(100_000),
      totpCode(secret, new Date(0)),
    ]) {
      await expect(f.twoFactor.confirmTotp(f.ada.id, wrong, f.trail)).rejects.toMatchObject({
        kind: "invalid",
        code: "InvalidTwoFactorCode",
      });
    }
    const { recoveryCodes } = await f.twoFactor.confirmTotp(
      f.ada.id,
      totpCode(secret, f.clock.now()),
      f.trail,
    );
    expect(recoveryCodes).toHaveLength(10);
    expect(await f.recoveryCodes.countUnused(f.ada.id)).toBe(10);
    expect(await f.twoFactor.status(f.ada.id)).toEqual({
      enabled: true,
      pending: false,
      enabledAt: "2026-03-02T09:00:00.000Z",
      recoveryCodesLeft: 10,
      required: false,
    });

    await expect(f.twoFactor.beginTotp(f.ada.id)).rejects.toMatchObject({ code: "TwoFactorAlreadyEnabled" });
    await expect(f.twoFactor.confirmTotp(f.ada.id, "123456", f.trail)).rejects.toMatchObject({
      kind: "conflict",
      code: "TwoFactorAlreadyEnabled",
    });
    await expect(f.twoFactor.confirmTotp(f.admin.id, "123456", f.trail)).rejects.toMatchObject({
      code: "TwoFactorNotStarted",
    });
    await expect(f.twoFactor.beginTotp("usr_nobody")).rejects.toMatchObject({ code: "UserNotFound" });

    const outcomes = f.trail.events.map((event) => [event.action, event.outcome, event.details?.code]);
    expect(outcomes.slice(0, 6)).toEqual(
      Array(6).fill(["two_factor_enabled", "failure", "InvalidTwoFactorCode"]),
    );
    expect(f.trail.events[6]).toEqual({
      event: "user",
      action: "two_factor_enabled",
      outcome: "success",
      severity: "info",
      target: { type: "user", id: f.ada.id },
      details: { recovery_codes: 10 },
    });
    const recorded = JSON.stringify(f.trail.events);
    for (const secretText of [secret, ...recoveryCodes]) expect(recorded).not.toContain(secretText);
  });

  it("refuses a replayed code at confirmation, and lets one of two racing confirmations through", async () => {
    const f = await open();
    const { secret } = await enrol(f);
    // A code of this step is spent on a login...
    const code = totpCode(secret, f.clock.now());
    await login(f, { code });
    // ...then 2FA is turned off and enrolment starts again with a new secret: the step is spent.
    await f.twoFactor.disableTotp(f.ada.id, { password: PASSWORD }, f.trail);
    const { secret: next } = await f.twoFactor.beginTotp(f.ada.id);
    await expect(
      f.twoFactor.confirmTotp(f.ada.id, totpCode(next, f.clock.now()), f.trail),
    ).rejects.toMatchObject({
      code: "InvalidTwoFactorCode",
    });
    f.clock.advance(STEP);
    const fresh = totpCode(next, f.clock.now());
    const results = await Promise.allSettled([
      f.twoFactor.confirmTotp(f.ada.id, fresh, f.trail),
      f.twoFactor.confirmTotp(f.ada.id, fresh, f.trail),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect(results.find((result) => result.status === "rejected")?.reason).toMatchObject({
      code: expect.stringMatching(/^(InvalidTwoFactorCode|TwoFactorAlreadyEnabled)$/) as unknown,
    });
    // The confirming code cannot sign in afterwards either.
    expect(await login(f, { code: fresh }).catch((error: unknown) => error)).toMatchObject({
      code: "InvalidTwoFactorCode",
    });
  });

  it("turns 2FA off only after re-authentication, with the password or a current code", async () => {
    const f = await open();
    const { secret, recoveryCodes } = await enrol(f);
    await expect(f.twoFactor.disableTotp(f.ada.id, {}, f.trail)).rejects.toMatchObject({
      kind: "invalid",
      code: "ReauthenticationRequired",
    });
    await expect(
      f.twoFactor.disableTotp(f.ada.id, { password: "  ", code: null }, f.trail),
    ).rejects.toMatchObject({ code: "ReauthenticationRequired" });
    for (const proof of [
      { password: 42, code: "" },
      { code: "000000", password: PASSWORD },
      // A recovery code is not a re-authentication.
      { code: recoveryCodes[0] },
    ]) {
      await expect(f.twoFactor.disableTotp(f.ada.id, proof, f.trail)).rejects.toMatchObject({
        kind: "forbidden",
        code: "ReauthenticationFailed",
      });
    }
    expect((await f.users.findById(f.ada.id))?.totpEnabledAt).not.toBeNull();
    // Three failures (the fixture's limit) lock the account: even the right code waits.
    await expect(
      f.twoFactor.disableTotp(f.ada.id, { code: totpCode(secret, f.clock.now()) }, f.trail),
    ).rejects.toMatchObject({ kind: "too-many-requests", code: "LoginLocked" });
    f.clock.advance(600_000);
    await f.twoFactor.disableTotp(f.ada.id, { code: totpCode(secret, f.clock.now()) }, f.trail);
    const stored = (await f.users.findById(f.ada.id))!;
    expect([stored.totpSecret, stored.totpEnabledAt]).toEqual([null, null]);
    expect(await f.recoveryCodes.countUnused(f.ada.id)).toBe(0);
    expect((await login(f)).secondFactor).toBeNull();
    expect(f.trail.events.at(-1)).toMatchObject({
      action: "two_factor_disabled",
      outcome: "success",
      severity: "warning",
      details: { method: "totp", was_enabled: true },
    });
    const refusals = f.trail.events
      .filter((event) => event.outcome !== "success")
      .map((e) => e.details?.code);
    expect(refusals).toContain("ReauthenticationFailed");
    expect(refusals).toContain("LoginLocked");
    await expect(f.twoFactor.disableTotp(f.ada.id, { password: PASSWORD }, f.trail)).rejects.toMatchObject({
      code: "TwoFactorNotEnabled",
    });
  });

  it("refuses to turn 2FA off while the policy requires it, without looking at the password", async () => {
    const f = await open();
    await enrol(f);
    f.policy.required = true;
    for (let i = 0; i < 5; i++) {
      await expect(
        f.twoFactor.disableTotp(f.ada.id, { password: "wrong horse battery staple" }, f.trail),
      ).rejects.toMatchObject({ kind: "forbidden", code: "TwoFactorRequiredByPolicy" });
    }
    // No failure was counted: the right password would not be locked out, but is refused alike.
    await expect(f.twoFactor.disableTotp(f.ada.id, { password: PASSWORD }, f.trail)).rejects.toMatchObject({
      code: "TwoFactorRequiredByPolicy",
    });
    expect(f.trail.events.at(-1)).toMatchObject({
      action: "two_factor_disabled",
      outcome: "denied",
      details: { code: "TwoFactorRequiredByPolicy" },
    });
    expect((await f.twoFactor.status(f.ada.id)).required).toBe(true);
  });

  it("regenerates recovery codes with a current code: the old ones die, each new one works once", async () => {
    const f = await open();
    const { secret, recoveryCodes: old } = await enrol(f);
    await login(f, { recoveryCode: old[0] });
    await expect(
      f.twoFactor.regenerateRecoveryCodes(f.ada.id, { code: "000000" }, f.trail),
    ).rejects.toMatchObject({ code: "ReauthenticationFailed" });
    // The password is not enough for new codes.
    await expect(
      f.twoFactor.regenerateRecoveryCodes(f.ada.id, { password: PASSWORD } as never, f.trail),
    ).rejects.toMatchObject({ code: "ReauthenticationRequired" });
    const code = totpCode(secret, f.clock.now());
    const { recoveryCodes } = await f.twoFactor.regenerateRecoveryCodes(f.ada.id, { code }, f.trail);
    expect(recoveryCodes).toHaveLength(10);
    expect(recoveryCodes.filter((fresh) => old.includes(fresh))).toEqual([]);
    expect(f.trail.events.at(-1)).toMatchObject({
      action: "recovery_codes_regenerated",
      outcome: "success",
      details: { recovery_codes: 10, replaced_unused: 9 },
    });
    // The code that asked for them is spent.
    expect(await login(f, { code }).catch((error: unknown) => error)).toMatchObject({
      code: "InvalidTwoFactorCode",
    });
    f.clock.advance(600_000);
    for (const dead of old.slice(0, 3)) {
      expect(await login(f, { recoveryCode: dead }).catch((error: unknown) => error)).toMatchObject({
        code: "InvalidTwoFactorCode",
      });
    }
    f.clock.advance(600_000);
    const [first] = recoveryCodes as [string];
    expect((await login(f, { recoveryCode: first })).secondFactor).toBe("recovery-code");
    expect(await login(f, { recoveryCode: first }).catch((error: unknown) => error)).toMatchObject({
      code: "InvalidTwoFactorCode",
    });
    expect(await f.recoveryCodes.countUnused(f.ada.id)).toBe(9);
    expect(JSON.stringify(f.trail.events)).not.toContain(first);
  });

  it("lets an admin reset someone's 2FA: secret and codes gone, every session of theirs ended", async () => {
    const f = await open();
    const { secret, recoveryCodes } = await enrol(f);
    const a = await login(f, { code: totpCode(secret, f.clock.now()) });
    f.clock.advance(STEP);
    const b = await login(f, { recoveryCode: recoveryCodes[1] });
    const rootSession = await login(f, { email: "root@example.org" });
    const adminTrail = userTrail(f.admin.id);

    expect(await f.twoFactor.resetTwoFactor(f.ada.id, adminTrail)).toEqual({ sessionsEnded: 2 });
    expect(await f.sessions.authenticate(a.sessionToken)).toBeNull();
    expect(await f.sessions.authenticate(b.sessionToken)).toBeNull();
    expect(await f.sessions.authenticate(rootSession.sessionToken)).not.toBeNull();
    const stored = (await f.users.findById(f.ada.id))!;
    expect([stored.totpSecret, stored.totpEnabledAt]).toEqual([null, null]);
    expect(await f.recoveryCodes.countUnused(f.ada.id)).toBe(0);
    expect(adminTrail.events).toEqual([
      {
        event: "user",
        action: "two_factor_reset",
        outcome: "success",
        severity: "warning",
        target: { type: "user", id: f.ada.id },
        details: { was_enabled: true, sessions_ended: 2 },
      },
    ]);
    expect(adminTrail.context.actor).toEqual({ type: "user", id: f.admin.id, auth_method: "session" });

    // With the policy on, her next sign-in is an enrolment-only session.
    f.policy.required = true;
    expect((await login(f)).twoFactorEnrolmentRequired).toBe(true);
    await expect(f.twoFactor.resetTwoFactor(f.ada.id, adminTrail)).rejects.toMatchObject({
      code: "TwoFactorNotEnabled",
    });
    await expect(f.twoFactor.resetTwoFactor("usr_nobody", recordingTrail())).rejects.toMatchObject({
      code: "UserNotFound",
    });
  });

  it("resets a pending enrolment too", async () => {
    const f = await open();
    await f.twoFactor.beginTotp(f.ada.id);
    const trail = recordingTrail();
    expect(await f.twoFactor.resetTwoFactor(f.ada.id, trail)).toEqual({ sessionsEnded: 0 });
    expect(trail.events[0]?.details).toEqual({ was_enabled: false, sessions_ended: 0 });
    expect((await f.users.findById(f.ada.id))?.totpSecret).toBeNull();
  });
});
