import { createHash, randomBytes } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { recordingTrail, userTrail } from "../../test/builders/recording-trail.ts";
import { createTestDatabase, testEngines } from "../../test/support/test-databases.ts";
import { ManualClock } from "../clock/clock.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { LoginFailureRecords } from "../storage/database/login-failure-records.ts";
import { RecoveryCodeRecords } from "../storage/database/recovery-code-records.ts";
import { SessionRecords } from "../storage/database/session-records.ts";
import { TwoFactorRecords } from "../storage/database/two-factor-records.ts";
import { UserRecords, type UserRecord } from "../storage/database/user-records.ts";
import type { LoginLockoutPolicy } from "./login-lockout.ts";
import { LoginRefused } from "./login-refused.ts";
import { hashPassword, parsePasswordHash, verifyPassword } from "./password-hash.ts";
import { SecretBox } from "./secret-box.ts";
import { INVALID_CREDENTIALS_MESSAGE, SessionService, type LoginInput } from "./session-service.ts";
import { TwoFactorService } from "./two-factor-service.ts";

const PASSWORD = "correct horse battery staple";
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const IP = "192.0.2.1";

/** Hashing takes about 70 ms: one hash, shared by every user of every test. */
let passwordHash: string;
beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
});

const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** The code an authenticator app shows at this moment. */
function totpCode(secret: string, at: Date): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({
    timestamp: at.getTime(),
  });
}

/** The refusal a login ends with (failing the test when it succeeds). */
async function refusal(promise: Promise<unknown>): Promise<LoginRefused> {
  const error = await promise.then(
    () => new Error("the login succeeded"),
    (e: unknown) => e,
  );
  if (!(error instanceof LoginRefused)) throw error;
  return error;
}

interface Fixture {
  service: SessionService;
  twoFactor: TwoFactorService;
  /** The 2FA policy the services read; `reads` counts how often they asked. */
  policy: { required: boolean; reads: number };
  clock: ManualClock;
  users: UserRecords;
  sessions: SessionRecords;
  recoveryCodes: RecoveryCodeRecords;
  /** active, with a password */
  ada: UserRecord;
  /** blocked, with a password */
  bob: UserRecord;
  /** invited: no password yet */
  cyd: UserRecord;
}

describe.each(testEngines())("SessionService on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(options: { lockout?: LoginLockoutPolicy; adaHash?: string } = {}): Promise<Fixture> {
    handle = await createTestDatabase(engine);
    const users = new UserRecords(handle.db);
    const sessions = new SessionRecords(handle.db);
    const recoveryCodes = new RecoveryCodeRecords(handle.db);
    const clock = new ManualClock("2026-03-02T09:00:00.000Z");
    const secretBox = new SecretBox(randomBytes(32));
    const failures = new LoginFailureRecords(handle.db);
    const policy = { required: false, reads: 0 };
    const twoFactorPolicy = {
      requireTwoFactor: () => {
        policy.reads += 1;
        return Promise.resolve(policy.required);
      },
    };
    const service = new SessionService({
      users,
      sessions,
      failures,
      recoveryCodes,
      secretBox,
      clock,
      twoFactorPolicy,
      ...(options.lockout === undefined ? {} : { lockout: options.lockout }),
    });
    const twoFactor = new TwoFactorService({
      users,
      recoveryCodes,
      twoFactor: new TwoFactorRecords(handle.db),
      failures,
      secretBox,
      clock,
      policy: twoFactorPolicy,
    });
    const add = async (name: string, hash: string | null): Promise<UserRecord> => {
      const user = await users.insert({
        id: `usr_${name}`,
        email: `${name}@example.org`,
        name: null,
        role: "maintainer",
        passwordHash: hash,
        createdAt: clock.now().toISOString(),
      });
      if (user === null) throw new Error("not inserted");
      return user;
    };
    const ada = await add("ada", options.adaHash ?? passwordHash);
    const bob = (await users.update(
      (await add("bob", passwordHash)).id,
      { status: "blocked" },
      clock.now().toISOString(),
    ))!;
    const cyd = await add("cyd", null);
    return { service, twoFactor, policy, clock, users, sessions, recoveryCodes, ada, bob, cyd };
  }

  const login = (service: SessionService, input: Partial<LoginInput> = {}) =>
    service.login({
      email: "ada@example.org",
      password: PASSWORD,
      ipAddress: IP,
      userAgent: "Mozilla/5.0",
      ...input,
    });

  /** Turns 2FA on for Ada; the clock is moved past the step of the confirming code. */
  async function enableTotp(f: Fixture): Promise<{ secret: string; recoveryCodes: string[] }> {
    const { secret } = await f.twoFactor.beginTotp(f.ada.id);
    const { recoveryCodes } = await f.twoFactor.confirmTotp(
      f.ada.id,
      totpCode(secret, f.clock.now()),
      userTrail(f.ada.id),
    );
    f.clock.advance(30 * SECOND);
    return { secret, recoveryCodes };
  }

  it("signs in and opens a session of which only hashes are stored", async () => {
    const f = await open();
    const result = await login(f.service, { email: "  ADA@Example.org ", userAgent: "Firefox\u0000\n/1" });
    expect(result.sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.csrfToken).not.toBe(result.sessionToken);
    expect(result.expiresAt).toBe("2026-03-02T21:00:00.000Z");
    expect(result.secondFactor).toBeNull();
    expect(result.twoFactorEnrolmentRequired).toBe(false);
    expect(result.user).toMatchObject({ id: f.ada.id, email: "ada@example.org", twoFactor: false });
    expect(result.user).not.toHaveProperty("passwordHash");

    expect(await f.sessions.findByIdHash(sha256(result.sessionToken))).toEqual({
      idHash: sha256(result.sessionToken),
      userId: f.ada.id,
      csrfHash: sha256(result.csrfToken),
      pendingMfa: false,
      ipAddress: IP,
      userAgent: "Firefox/1",
      createdAt: "2026-03-02T09:00:00.000Z",
      lastSeenAt: "2026-03-02T09:00:00.000Z",
      expiresAt: "2026-03-02T21:00:00.000Z",
    });
    expect(await f.sessions.findByIdHash(result.sessionToken)).toBeNull();
  });

  it("answers an unknown account, a wrong password, a blocked or password-less user alike", async () => {
    const f = await open();
    const cases: [Partial<LoginInput>, string, string | null][] = [
      [{ email: "nobody@example.org" }, "unknown-account", null],
      [{ password: "wrong horse battery staple" }, "wrong-password", f.ada.id],
      [{ email: "not an address" }, "unknown-account", null],
      [{ email: "bob@example.org" }, "blocked", f.bob.id],
      [{ email: "bob@example.org", password: "wrong" }, "wrong-password", f.bob.id],
      [{ email: "cyd@example.org", password: "" }, "no-password", f.cyd.id],
    ];
    for (const [input, reason, userId] of cases) {
      const error = await refusal(login(f.service, input));
      expect(error).toMatchObject({
        kind: "unauthenticated",
        code: "InvalidCredentials",
        message: INVALID_CREDENTIALS_MESSAGE,
        reason,
        userId,
      });
      expect(error.extensions).toEqual({});
    }
  });

  it("stores a stronger hash when the password verifies against a weak one", async () => {
    const weak = await hashPassword(PASSWORD, { parameters: { ln: 4, r: 8, p: 1 } });
    const f = await open({ adaHash: weak });
    f.clock.advance(HOUR);
    await login(f.service);
    const stored = (await f.users.findById(f.ada.id))!;
    expect(parsePasswordHash(stored.passwordHash!)?.parameters).toEqual({ ln: 15, r: 8, p: 1 });
    expect(await verifyPassword(PASSWORD, stored.passwordHash!)).toBe(true);
    expect(stored.passwordChangedAt).toBe(f.ada.passwordChangedAt);
  });

  it("locks the account after 10 failures: even the right password waits for the window", async () => {
    const f = await open();
    for (let i = 0; i < 10; i++) {
      await refusal(login(f.service, { password: `guess ${i}`, ipAddress: `203.0.113.${i}` }));
    }
    f.clock.advance(5 * MINUTE);
    const locked = await refusal(login(f.service, { ipAddress: "198.51.100.1" }));
    expect(locked).toMatchObject({
      kind: "too-many-requests",
      code: "LoginLocked",
      reason: "locked",
      userId: f.ada.id,
      extensions: { retryAfter: 300 },
    });
    // An unknown account locks the same way: the lock does not tell which accounts exist.
    for (let i = 0; i < 10; i++) {
      await refusal(login(f.service, { email: "nobody@example.org", ipAddress: `203.0.113.${i}` }));
    }
    const lockedUnknown = await refusal(login(f.service, { email: "nobody@example.org" }));
    expect(lockedUnknown).toMatchObject({ code: "LoginLocked", message: locked.message, userId: null });

    // Refused attempts do not extend the lock: it lifts 10 minutes after the failures.
    f.clock.advance(5 * MINUTE - SECOND);
    expect(await refusal(login(f.service))).toMatchObject({
      code: "LoginLocked",
      extensions: { retryAfter: 1 },
    });
    f.clock.advance(SECOND);
    expect((await login(f.service)).user.id).toBe(f.ada.id);
  });

  it("locks a client address that fails on many accounts; a success does not clear the address", async () => {
    const f = await open({ lockout: { maxFailures: 3, windowMs: 10 * MINUTE } });
    await refusal(login(f.service, { email: "one@example.org" }));
    await refusal(login(f.service, { email: "two@example.org" }));
    await login(f.service);
    await refusal(login(f.service, { email: "three@example.org" }));

    expect(await refusal(login(f.service))).toMatchObject({ code: "LoginLocked", reason: "locked" });
    expect((await login(f.service, { ipAddress: "198.51.100.7" })).user.id).toBe(f.ada.id);
  });

  it("slides the lockout window: failures count for 10 minutes each", async () => {
    const f = await open({ lockout: { maxFailures: 3, windowMs: 10 * MINUTE } });
    await refusal(login(f.service, { password: "a" }));
    f.clock.advance(4 * MINUTE);
    await refusal(login(f.service, { password: "b" }));
    await refusal(login(f.service, { password: "c" }));
    expect(await refusal(login(f.service))).toMatchObject({ extensions: { retryAfter: 360 } });
    f.clock.advance(6 * MINUTE);
    // The first failure left the window; the right password is heard again and clears the account.
    await login(f.service, { ipAddress: "198.51.100.7" });
    await refusal(login(f.service, { password: "d", ipAddress: "198.51.100.7" }));
    await login(f.service, { ipAddress: "198.51.100.7" });
  });

  it("asks for the second factor only after the right password, and accepts each TOTP code once", async () => {
    const f = await open({ lockout: { maxFailures: 3, windowMs: 10 * MINUTE } });
    const { secret } = await enableTotp(f);
    const code = totpCode(secret, f.clock.now());

    // The password is checked first: a right code with a wrong password says nothing about the code.
    expect(
      await refusal(login(f.service, { password: "nope", code, ipAddress: "203.0.113.9" })),
    ).toMatchObject({
      code: "InvalidCredentials",
      reason: "wrong-password",
    });
    // Asking is not a failure: four times, with a limit of three, and no lock.
    for (const missing of [{}, { code: "" }, { code: null, recoveryCode: "  " }, {}]) {
      expect(await refusal(login(f.service, missing))).toMatchObject({
        kind: "unauthenticated",
        code: "TwoFactorRequired",
        reason: "code-required",
        userId: f.ada.id,
      });
    }
    const ok = await login(f.service, { code: ` ${code} ` });
    expect(ok.secondFactor).toBe("totp");
    expect(ok.user.twoFactor).toBe(true);

    expect(await refusal(login(f.service, { code }))).toMatchObject({
      kind: "unauthenticated",
      code: "InvalidTwoFactorCode",
      reason: "wrong-code",
    });
    f.clock.advance(30 * SECOND);
    expect((await login(f.service, { code: totpCode(secret, f.clock.now()) })).secondFactor).toBe("totp");
    // Wrong codes count (the success above cleared the replay's): three lock the account.
    for (const [wrong, ipAddress] of [
      ["12345x", "203.0.113.1"],
      [123456, "203.0.113.2"],
      ["1234567", "203.0.113.3"],
    ] as const) {
      expect(await refusal(login(f.service, { code: wrong, ipAddress }))).toMatchObject({
        code: "InvalidTwoFactorCode",
      });
    }
    f.clock.advance(30 * SECOND);
    expect(await refusal(login(f.service, { code: totpCode(secret, f.clock.now()) }))).toMatchObject({
      code: "LoginLocked",
    });
  });

  it("lets only one of two concurrent logins with the same TOTP code in", async () => {
    const f = await open();
    const { secret } = await enableTotp(f);
    const code = totpCode(secret, f.clock.now());
    const results = await Promise.allSettled([login(f.service, { code }), login(f.service, { code })]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected");
    expect(refused?.reason).toMatchObject({ code: "InvalidTwoFactorCode", reason: "wrong-code" });

    // The step only moves forward, in the database.
    const step = (await f.users.findById(f.ada.id))!.totpLastStep!;
    expect(await f.users.setTotpLastStep(f.ada.id, step)).toBe(false);
    expect(await f.users.setTotpLastStep(f.ada.id, step - 1)).toBe(false);
    expect(await f.users.setTotpLastStep(f.ada.id, step + 1)).toBe(true);
  });

  it("accepts each recovery code once, as typed, even when two logins race with it", async () => {
    const f = await open();
    const { recoveryCodes } = await enableTotp(f);
    const [first, second] = recoveryCodes as [string, string];
    const typed = ` ${first.toUpperCase().replace(/-/g, " ")} `;
    expect((await login(f.service, { recoveryCode: typed })).secondFactor).toBe("recovery-code");
    expect(await f.recoveryCodes.countUnused(f.ada.id)).toBe(9);
    for (const recoveryCode of [first, "0000-0000-0000", "not a code", { code: first }]) {
      expect(await refusal(login(f.service, { recoveryCode }))).toMatchObject({
        code: "InvalidTwoFactorCode",
        reason: "wrong-code",
      });
    }
    const results = await Promise.allSettled([
      login(f.service, { recoveryCode: second }),
      login(f.service, { recoveryCode: second }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await f.recoveryCodes.countUnused(f.ada.id)).toBe(8);
  });

  it("opens an enrolment-only session for someone without 2FA while the policy requires it", async () => {
    const f = await open();
    const before = await login(f.service);
    expect(before.twoFactorEnrolmentRequired).toBe(false);
    f.policy.required = true;

    const restricted = await login(f.service);
    expect(restricted).toMatchObject({ secondFactor: null, twoFactorEnrolmentRequired: true });
    expect((await f.service.authenticate(restricted.sessionToken))?.session.twoFactorEnrolmentRequired).toBe(
      true,
    );
    // A session opened before the policy was turned on is held to it from its next request.
    expect((await f.service.authenticate(before.sessionToken))?.session.twoFactorEnrolmentRequired).toBe(
      true,
    );
    // The wrong password is still refused: the policy opens nothing without the password.
    expect(await refusal(login(f.service, { password: "wrong horse battery staple" }))).toMatchObject({
      code: "InvalidCredentials",
    });

    // Enrolling from the restricted session lifts the restriction of that very session.
    const { secret } = await enableTotp(f);
    const after = await f.service.authenticate(restricted.sessionToken);
    expect(after?.session.twoFactorEnrolmentRequired).toBe(false);
    expect(after?.user.twoFactor).toBe(true);
    // From now on the second factor is asked for, and the session is a full one.
    expect(await refusal(login(f.service))).toMatchObject({ code: "TwoFactorRequired" });
    const full = await login(f.service, { code: totpCode(secret, f.clock.now()) });
    expect(full).toMatchObject({ secondFactor: "totp", twoFactorEnrolmentRequired: false });

    // Turning the policy off lifts it for everyone else too.
    const cyd = await f.users.update(f.cyd.id, { passwordHash }, f.clock.now().toISOString());
    expect(cyd?.totpEnabledAt).toBeNull();
    const cydSession = await login(f.service, { email: "cyd@example.org" });
    expect(cydSession.twoFactorEnrolmentRequired).toBe(true);
    f.policy.required = false;
    expect((await f.service.authenticate(cydSession.sessionToken))?.session.twoFactorEnrolmentRequired).toBe(
      false,
    );
  });

  it("reads the policy only for people without 2FA", async () => {
    const f = await open();
    const { secret } = await enableTotp(f);
    f.policy.required = true;
    f.policy.reads = 0;
    const { sessionToken } = await login(f.service, { code: totpCode(secret, f.clock.now()) });
    for (let i = 0; i < 3; i++) await f.service.authenticate(sessionToken);
    expect(f.policy.reads).toBe(0);
  });

  it("keeps the enrolment-only session to enrolment: nothing but TOTP set-up works for it", async () => {
    const f = await open();
    f.policy.required = true;
    const { sessionToken } = await login(f.service);
    const current = (await f.service.authenticate(sessionToken))!;
    expect(current.session.twoFactorEnrolmentRequired).toBe(true);
    const trail = userTrail(f.ada.id);
    // There is nothing to turn off, and no codes to renew: only enrolment is open.
    await expect(f.twoFactor.disableTotp(f.ada.id, { password: PASSWORD }, trail)).rejects.toMatchObject({
      code: "TwoFactorNotEnabled",
    });
    await expect(
      f.twoFactor.regenerateRecoveryCodes(f.ada.id, { code: "123456" }, trail),
    ).rejects.toMatchObject({
      code: "TwoFactorNotEnabled",
    });
    expect(trail.events.map((event) => [event.action, event.outcome])).toEqual([
      ["two_factor_disabled", "failure"],
      ["recovery_codes_regenerated", "failure"],
    ]);
    const { secret } = await f.twoFactor.beginTotp(f.ada.id);
    await f.twoFactor.confirmTotp(f.ada.id, totpCode(secret, f.clock.now()), recordingTrail());
    expect((await f.service.authenticate(sessionToken))?.session.twoFactorEnrolmentRequired).toBe(false);
  });

  it("authenticates a session, touching it at most once a minute, until 2 idle hours", async () => {
    const f = await open();
    const { sessionToken } = await login(f.service);
    const idHash = sha256(sessionToken);
    const first = await f.service.authenticate(sessionToken);
    expect(first?.user.id).toBe(f.ada.id);
    expect(first?.session).toMatchObject({
      idHash,
      userId: f.ada.id,
      expiresAt: "2026-03-02T21:00:00.000Z",
      twoFactorEnrolmentRequired: false,
    });

    f.clock.advance(59 * SECOND);
    await f.service.authenticate(sessionToken);
    expect((await f.sessions.findByIdHash(idHash))?.lastSeenAt).toBe("2026-03-02T09:00:00.000Z");
    f.clock.advance(SECOND);
    expect((await f.service.authenticate(sessionToken))?.session.lastSeenAt).toBe("2026-03-02T09:01:00.000Z");
    expect((await f.sessions.findByIdHash(idHash))?.lastSeenAt).toBe("2026-03-02T09:01:00.000Z");

    f.clock.advance(2 * HOUR - SECOND);
    expect(await f.service.authenticate(sessionToken)).not.toBeNull();
    f.clock.advance(2 * HOUR);
    expect(await f.service.authenticate(sessionToken)).toBeNull();
    expect(await f.sessions.findByIdHash(idHash)).toBeNull();
  });

  it("ends an active session 12 hours after login", async () => {
    const f = await open();
    const { sessionToken } = await login(f.service);
    for (let hour = 1; hour < 12; hour++) {
      f.clock.advance(HOUR);
      expect(await f.service.authenticate(sessionToken)).not.toBeNull();
    }
    f.clock.advance(HOUR);
    expect(await f.service.authenticate(sessionToken)).toBeNull();
    expect(await f.sessions.findByIdHash(sha256(sessionToken))).toBeNull();
  });

  it("refuses the sessions of a blocked user, and malformed or unknown tokens", async () => {
    const f = await open();
    const { sessionToken } = await login(f.service);
    await f.users.update(f.ada.id, { status: "blocked" }, "2026-03-02T09:00:00.000Z");
    expect(await f.service.authenticate(sessionToken)).toBeNull();
    expect(await f.sessions.findByIdHash(sha256(sessionToken))).toBeNull();
    for (const token of [undefined, 42, "", "x".repeat(43), "\ud800".repeat(43), "A".repeat(1_000_000)]) {
      expect(await f.service.authenticate(token)).toBeNull();
    }
  });

  it("checks the CSRF token in constant time against the session's", async () => {
    const f = await open();
    const a = await login(f.service);
    const b = await login(f.service);
    const session = (await f.service.authenticate(a.sessionToken))!.session;
    expect(f.service.verifyCsrf(session, a.csrfToken)).toBe(true);
    for (const token of [b.csrfToken, a.sessionToken, "", undefined, 7, `${a.csrfToken}=`]) {
      expect(f.service.verifyCsrf(session, token)).toBe(false);
    }
  });

  it("logs out one session, or all of a user's", async () => {
    const f = await open();
    const a = await login(f.service);
    const b = await login(f.service);
    expect(await f.service.logout(a.sessionToken)).toBe(true);
    expect(await f.service.logout(a.sessionToken)).toBe(false);
    expect(await f.service.logout({ token: a.sessionToken })).toBe(false);
    expect(await f.service.authenticate(a.sessionToken)).toBeNull();
    expect(await f.service.authenticate(b.sessionToken)).not.toBeNull();
    await login(f.service);
    expect(await f.service.logoutEverywhere(f.ada.id)).toBe(2);
    expect(await f.service.authenticate(b.sessionToken)).toBeNull();
  });

  it("prunes ended sessions and old failures", async () => {
    const f = await open();
    const { sessionToken } = await login(f.service);
    await refusal(login(f.service, { password: "wrong" }));
    f.clock.advance(2 * HOUR);
    expect(await f.service.pruneExpired()).toEqual({ sessions: 1, failures: 2 });
    expect(await f.sessions.findByIdHash(sha256(sessionToken))).toBeNull();
  });

  it("refuses hostile input with a clear unauthenticated error, never a crash", async () => {
    const f = await open({ lockout: { maxFailures: 1000, windowMs: 10 * MINUTE } });
    const megabyte = "x".repeat(1_000_000);
    const cases: Partial<LoginInput>[] = [
      { password: megabyte },
      { password: 12345678 },
      { password: { toString: () => PASSWORD } },
      { password: null },
      { password: undefined },
      { password: `${PASSWORD}\ud800` },
      { password: "" },
      { email: megabyte },
      { email: `${megabyte}@example.org` },
      { email: ["ada@example.org"] },
      { email: { email: "ada@example.org" } },
      { email: "ada@example.org\u0000" },
      { email: "ad\ud800a@example.org" },
      { email: "" },
      { email: "@" },
      { email: "nobody@example.org", ipAddress: `${megabyte}\u0000\ud800`, userAgent: megabyte },
    ];
    for (const input of cases) {
      const error = await refusal(login(f.service, input));
      expect(error).toMatchObject({ kind: "unauthenticated", code: "InvalidCredentials" });
    }
    // Hostile client details do not stop a good login either.
    const ok = await login(f.service, {
      ipAddress: `${megabyte}\u0000`,
      userAgent: `\u0000${megabyte}\ud800`,
    });
    const stored = (await f.sessions.findByIdHash(sha256(ok.sessionToken)))!;
    expect(stored.ipAddress).toBeNull();
    expect(stored.userAgent).toHaveLength(512);
  });

  it("refuses lifetimes that are not positive", async () => {
    await open();
    const db = handle!.db;
    const base = {
      users: new UserRecords(db),
      sessions: new SessionRecords(db),
      failures: new LoginFailureRecords(db),
      recoveryCodes: new RecoveryCodeRecords(db),
      secretBox: new SecretBox(randomBytes(32)),
      clock: new ManualClock(),
    };
    expect(() => new SessionService({ ...base, lifetimes: { absoluteMs: 0, idleMs: HOUR } })).toThrow(
      RangeError,
    );
    expect(() => new SessionService({ ...base, lifetimes: { absoluteMs: HOUR, idleMs: 0.5 } })).toThrow(
      RangeError,
    );
  });
});
