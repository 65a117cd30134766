import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../test/support/test-databases.ts";
import { ManualClock } from "../clock/clock.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { LoginFailureRecords } from "../storage/database/login-failure-records.ts";
import { LoginLockout, LOGIN_LOCKED_MESSAGE, type LoginLockoutPolicy } from "./login-lockout.ts";

const MINUTE = 60_000;
const IP = "192.0.2.1";
const OTHER_IP = "198.51.100.7";

describe.each(testEngines())("LoginLockout on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(
    policy?: LoginLockoutPolicy,
  ): Promise<{ lockout: LoginLockout; clock: ManualClock; failures: LoginFailureRecords }> {
    handle = await createTestDatabase(engine);
    const failures = new LoginFailureRecords(handle.db);
    const clock = new ManualClock("2026-03-02T09:00:00.000Z");
    const lockout = new LoginLockout({ failures, clock, ...(policy === undefined ? {} : { policy }) });
    return { lockout, clock, failures };
  }

  async function fail(
    lockout: LoginLockout,
    times: number,
    email: unknown,
    ip: string | null,
  ): Promise<void> {
    for (let i = 0; i < times; i++) await lockout.recordFailure(email, ip);
  }

  it("locks an account after 10 failures in 10 minutes, whatever the case of the address", async () => {
    const { lockout } = await open();
    expect(lockout.policy).toEqual({ maxFailures: 10, windowMs: 10 * MINUTE });
    await fail(lockout, 9, "Ada@Example.org", IP);
    await expect(lockout.check("ada@example.org", IP)).resolves.toBeUndefined();
    await lockout.recordFailure(" ADA@example.org ", OTHER_IP);

    // The account is locked from anywhere; the addresses are not (9 and 1 failures).
    const error = await lockout.check("ada@example.org", "203.0.113.5").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      kind: "too-many-requests",
      code: "LoginLocked",
      message: LOGIN_LOCKED_MESSAGE,
      extensions: { retryAfter: 600 },
    });
    expect(await lockout.status("bob@example.org", IP)).toEqual({ locked: false });
  });

  it("slides the window: the lock lifts when enough failures have aged out of it", async () => {
    const { lockout, clock } = await open();
    // One failure a minute, minutes 0 to 9.
    for (let minute = 0; minute < 10; minute++) {
      await lockout.recordFailure("ada@example.org", null);
      if (minute < 9) clock.advance(MINUTE);
    }
    // Now minute 9: the failure of minute 0 leaves the window at minute 10.
    expect(await lockout.status("ada@example.org", null)).toEqual({ locked: true, retryAfter: 60 });
    clock.advance(59_500);
    expect(await lockout.status("ada@example.org", null)).toEqual({ locked: true, retryAfter: 1 });
    clock.advance(500);
    expect(await lockout.status("ada@example.org", null)).toEqual({ locked: false });
    // Minute 10: one more failure makes ten in the window again, until minute 1's ages out.
    await lockout.recordFailure("ada@example.org", null);
    expect(await lockout.status("ada@example.org", null)).toEqual({ locked: true, retryAfter: 60 });
  });

  it("takes the longer wait when more failures than the limit are in the window (concurrent attempts)", async () => {
    const { lockout, clock } = await open({ maxFailures: 3, windowMs: 10 * MINUTE });
    await fail(lockout, 2, "ada@example.org", null);
    clock.advance(2 * MINUTE);
    await fail(lockout, 3, "ada@example.org", null);
    // The 3rd newest failure is 0 minutes old: 10 minutes to go, not the 8 of the oldest.
    expect(await lockout.status("ada@example.org", null)).toEqual({ locked: true, retryAfter: 600 });
  });

  it("locks an address that fails on many accounts, and not the accounts elsewhere", async () => {
    const { lockout } = await open();
    for (let i = 0; i < 10; i++) await lockout.recordFailure(`user${i}@example.org`, IP);
    await expect(lockout.check("someone-new@example.org", IP)).rejects.toMatchObject({ code: "LoginLocked" });
    await expect(lockout.check("user1@example.org", OTHER_IP)).resolves.toBeUndefined();
  });

  it("clears the account on success, but not the address", async () => {
    const { lockout } = await open({ maxFailures: 3, windowMs: 10 * MINUTE });
    await fail(lockout, 3, "ada@example.org", IP);
    expect((await lockout.status("ada@example.org", OTHER_IP)).locked).toBe(true);
    await lockout.clear("ADA@example.org");
    expect(await lockout.status("ada@example.org", OTHER_IP)).toEqual({ locked: false });
    expect((await lockout.status("bob@example.org", IP)).locked).toBe(true);
  });

  it("counts input that is no e-mail address by client address only, and odd addresses by hash", async () => {
    const { lockout, failures } = await open({ maxFailures: 2, windowMs: 10 * MINUTE });
    const oddAddress = `${"x".repeat(100)}\u0000\ud800`;
    await lockout.recordFailure({ not: "an address" }, oddAddress);
    await lockout.recordFailure("x".repeat(1_000_000), oddAddress);
    expect((await lockout.status(42, oddAddress)).locked).toBe(true);
    expect((await lockout.status("x".repeat(1_000_000), null)).locked).toBe(false);
    const since = "2000-01-01T00:00:00.000Z";
    const hashed = createHash("sha256").update(oddAddress, "utf8").digest("hex");
    expect(await failures.count(`ip:sha256:${hashed}`, since)).toBe(2);

    // No address and no valid e-mail: nothing to count, nothing locked.
    await lockout.recordFailure("", null);
    expect(await lockout.status("", null)).toEqual({ locked: false });
    await lockout.clear(undefined);
  });

  it("prunes the failures that no window counts any more", async () => {
    const { lockout, clock, failures } = await open();
    await fail(lockout, 3, "ada@example.org", IP);
    clock.advance(10 * MINUTE + 1);
    await lockout.recordFailure("ada@example.org", null);
    expect(await lockout.prune()).toBe(6);
    expect(await failures.count("account:ada@example.org", "2000-01-01T00:00:00.000Z")).toBe(1);
  });

  it("refuses a policy that would never lock or never forget", async () => {
    await open();
    const failures = new LoginFailureRecords(handle!.db);
    const clock = new ManualClock();
    for (const policy of [
      { maxFailures: 0, windowMs: MINUTE },
      { maxFailures: 1.5, windowMs: MINUTE },
      { maxFailures: 3, windowMs: 0 },
      { maxFailures: 3, windowMs: Number.POSITIVE_INFINITY },
    ]) {
      expect(() => new LoginLockout({ failures, clock, policy })).toThrow(RangeError);
    }
  });
});
