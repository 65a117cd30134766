import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock/clock.ts";
import { gcraStep } from "./gcra.ts";
import type { RateLimiter, RateLimitPolicy } from "./rate-limiter.ts";

/** Builds a limiter of the adapter under test with a policy and a clock. */
export type RateLimiterFactory = (policy: RateLimitPolicy, clock: ManualClock) => RateLimiter;

/**
 * The behaviour every RateLimiter adapter must have. Call it at the top level of an adapter's
 * test file: `rateLimiterContract("InProcessRateLimiter", () => (policy, clock) => ...)`. The
 * factory is asked for after the file's `beforeAll` ran, and each limiter is closed after its test.
 */
export function rateLimiterContract(name: string, factory: () => RateLimiterFactory): void {
  describe(`RateLimiter contract: ${name}`, () => {
    const open: RateLimiter[] = [];
    const make = (policy: RateLimitPolicy, clock = new ManualClock()): RateLimiter => {
      const limiter = factory()(policy, clock);
      open.push(limiter);
      return limiter;
    };
    const key = (): string => `contract:${randomUUID()}`;

    afterEach(async () => {
      await Promise.all(open.splice(0).map((limiter) => limiter.close()));
    });

    it("allows the limit as a burst, counting down, then refuses", async () => {
      const limiter = make({ limit: 5, windowMs: 60_000 });
      const k = key();
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        const decision = await limiter.hit(k);
        expect(decision.allowed).toBe(true);
        expect(decision.limit).toBe(5);
        expect(decision.retryAfterMs).toBe(0);
        remaining.push(decision.remaining);
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      const refused = await limiter.hit(k);
      expect(refused).toMatchObject({ allowed: false, limit: 5, remaining: 0 });
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(12_000);
      expect(refused.resetMs).toBe(60_000);
    });

    it("gives the whole budget back after the window", async () => {
      const clock = new ManualClock();
      const limiter = make({ limit: 3, windowMs: 10_000 }, clock);
      const k = key();
      for (let i = 0; i < 3; i++) await limiter.hit(k);
      expect((await limiter.hit(k)).allowed).toBe(false);
      clock.advance(10_000);
      const decision = await limiter.hit(k);
      expect(decision).toMatchObject({ allowed: true, remaining: 2 });
    });

    it("refills one request per window/limit, and a refused request costs nothing", async () => {
      const clock = new ManualClock();
      const limiter = make({ limit: 4, windowMs: 8_000 }, clock);
      const k = key();
      for (let i = 0; i < 4; i++) await limiter.hit(k);
      const refused = await limiter.hit(k);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBe(2_000);
      for (let i = 0; i < 3; i++) expect((await limiter.hit(k)).allowed).toBe(false);
      clock.advance(2_000);
      expect(await limiter.hit(k)).toMatchObject({ allowed: true, remaining: 0 });
      expect((await limiter.hit(k)).allowed).toBe(false);
    });

    it("keeps keys independent", async () => {
      const limiter = make({ limit: 2, windowMs: 60_000 });
      const [a, b] = [key(), key()];
      await limiter.hit(a);
      await limiter.hit(a);
      expect((await limiter.hit(a)).allowed).toBe(false);
      expect(await limiter.hit(b)).toMatchObject({ allowed: true, remaining: 1 });
    });

    it("never lets more than the limit through parallel requests", async () => {
      const limiter = make({ limit: 25, windowMs: 60_000 });
      const k = key();
      const decisions = await Promise.all(Array.from({ length: 200 }, () => limiter.hit(k)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
      expect(new Set(decisions.filter((d) => d.allowed).map((d) => d.remaining)).size).toBe(25);
    });

    it("survives a clock set back: never more budget, and never refused for longer than a window", async () => {
      const clock = new ManualClock("2026-03-01T12:00:00.000Z");
      const limiter = make({ limit: 3, windowMs: 60_000 }, clock);
      const [spent, light] = [key(), key()];
      for (let i = 0; i < 3; i++) await limiter.hit(spent);
      await limiter.hit(light);
      clock.advance(-10_000);
      expect(await limiter.hit(spent)).toMatchObject({ allowed: false, retryAfterMs: 20_000 });
      expect(await limiter.hit(light)).toMatchObject({ allowed: true, remaining: 0 });
      clock.set("2026-02-27T00:00:00.000Z");
      expect(await limiter.hit(spent)).toMatchObject({ allowed: true, remaining: 2 });
    });

    it("decides as gcra.ts does for any sequence of requests and pauses", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 20 }),
          fc.integer({ min: 1, max: 120 }),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 20_000 })), {
            maxLength: 40,
          }),
          async (limit, windowSeconds, steps) => {
            const policy = { limit, windowMs: windowSeconds * 1000 };
            const clock = new ManualClock();
            const limiter = make(policy, clock);
            const keys = [key(), key(), key()];
            const model = new Map<string, number>();
            for (const [which, pauseMs] of steps) {
              clock.advance(pauseMs);
              const k = keys[which] ?? "";
              const step = gcraStep(policy, model.get(k) ?? null, clock.now().getTime() * 1000);
              if (step.newTatUs !== null) model.set(k, step.newTatUs);
              expect(await limiter.hit(k)).toEqual(step.decision);
            }
          },
        ),
        { numRuns: 40 },
      );
    });
  });
}
