import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { SharedLocks } from "./shared-locks.ts";

/**
 * The behaviour every SharedLocks adapter must have. `factory` is asked for after the file's
 * `beforeAll` ran; each call stands for one node, and every node made in a test is closed after it.
 */
export function sharedLocksContract(name: string, factory: () => () => SharedLocks): void {
  describe(`SharedLocks contract: ${name}`, () => {
    const open: SharedLocks[] = [];
    const node = (): SharedLocks => {
      const locks = factory()();
      open.push(locks);
      return locks;
    };
    const lockName = (): string => `contract:${randomUUID()}`;

    afterEach(async () => {
      await Promise.all(open.splice(0).map((locks) => locks.close()));
    });

    it("gives a free lock to one caller at a time", async () => {
      const locks = node();
      const n = lockName();
      const lease = await locks.tryAcquire(n, 10_000);
      expect(lease?.name).toBe(n);
      expect(await locks.tryAcquire(n, 10_000)).toBeNull();
      expect(await lease?.release()).toBe(true);
      const again = await locks.tryAcquire(n, 10_000);
      expect(again).not.toBeNull();
      await again?.release();
    });

    it("lets exactly one of many racing callers have it", async () => {
      const locks = node();
      const n = lockName();
      const leases = await Promise.all(Array.from({ length: 20 }, () => locks.tryAcquire(n, 10_000)));
      expect(leases.filter((lease) => lease !== null)).toHaveLength(1);
    });

    it("keeps different names apart", async () => {
      const locks = node();
      const a = await locks.tryAcquire(lockName(), 10_000);
      const b = await locks.tryAcquire(lockName(), 10_000);
      expect(a).not.toBeNull();
      expect(b).not.toBeNull();
    });

    it("frees the lock of a holder that died once its lease expires", async () => {
      const locks = node();
      const n = lockName();
      const dead = await locks.tryAcquire(n, 30);
      expect(dead).not.toBeNull();
      // The holder never releases: the next caller gets the lock once the lease ran out.
      await expect
        .poll(async () => (await locks.tryAcquire(n, 10_000)) !== null, { timeout: 5_000 })
        .toBe(true);
      // The dead holder's late release and renewal must not touch the new holder's lock.
      expect(await dead?.release()).toBe(false);
      expect(await dead?.renew(10_000)).toBe(false);
      expect(await locks.tryAcquire(n, 10_000)).toBeNull();
    });

    it("renews a held lease so that it outlives its first time to live", async () => {
      const locks = node();
      const n = lockName();
      const lease = await locks.tryAcquire(n, 10_000);
      expect(await lease?.renew(60_000)).toBe(true);
      expect(await locks.tryAcquire(n, 10_000)).toBeNull();
      expect(await lease?.release()).toBe(true);
      expect(await lease?.release()).toBe(false);
      expect(await lease?.renew(10_000)).toBe(false);
    });
  });
}
