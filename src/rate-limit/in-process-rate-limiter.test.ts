import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock/clock.ts";
import { InProcessRateLimiter } from "./in-process-rate-limiter.ts";
import { rateLimiterContract } from "./rate-limiter.contract.ts";

rateLimiterContract(
  "InProcessRateLimiter",
  () => (policy, clock) => new InProcessRateLimiter({ policy, clock }),
);

describe("InProcessRateLimiter", () => {
  it("tracks at most maxKeys keys, forgetting the least recently seen first", async () => {
    const clock = new ManualClock();
    const limiter = new InProcessRateLimiter({ policy: { limit: 1, windowMs: 60_000 }, clock, maxKeys: 3 });
    for (const key of ["a", "b", "c", "d", "e"]) await limiter.hit(key);
    expect(limiter.size).toBe(3);
    // "a" was forgotten: it starts afresh; "e" was not.
    expect((await limiter.hit("a")).allowed).toBe(true);
    expect((await limiter.hit("e")).allowed).toBe(false);
  });

  it("forgets keys whose budget is whole again", async () => {
    const clock = new ManualClock();
    const limiter = new InProcessRateLimiter({ policy: { limit: 2, windowMs: 1_000 }, clock });
    for (let i = 0; i < 100; i++) await limiter.hit(`key-${i}`);
    clock.advance(1_000);
    await limiter.hit("late");
    expect(limiter.size).toBe(1);
  });
});
