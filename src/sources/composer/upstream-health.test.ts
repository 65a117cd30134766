import { describe, expect, it } from "vitest";
import { UpstreamHealth } from "./upstream-health.ts";

const at = (seconds: number) => new Date(Date.UTC(2026, 8, 1, 10, 0, seconds));

describe("UpstreamHealth", () => {
  it("cools an upstream down after the budget, doubles the cool-down up to the limit, and resets on success", () => {
    const health = new UpstreamHealth({
      maxConsecutiveFailures: 3,
      coolDownMs: 10_000,
      maxCoolDownMs: 25_000,
    });
    expect(health.available("U", at(0))).toBe(true);
    health.failed("U", at(0), "down");
    health.failed("U", at(0), "down");
    expect(health.state("U")).toMatchObject({
      consecutiveFailures: 2,
      coolingDownUntil: null,
      lastError: "down",
    });
    health.failed("U", at(1), "still down");
    expect(health.state("U").coolingDownUntil).toBe(at(11).toISOString());
    expect(health.available("U", at(10))).toBe(false);
    expect(health.available("U", at(11))).toBe(true);
    health.failed("U", at(11), "probe failed");
    expect(health.state("U").coolingDownUntil).toBe(at(31).toISOString());
    health.failed("U", at(31), "probe failed");
    expect(health.state("U").coolingDownUntil).toBe(at(56).toISOString());
    expect(health.available("other", at(31))).toBe(true);
    health.succeeded("U", at(56));
    expect(health.state("U")).toEqual({
      lastSuccessAt: at(56).toISOString(),
      lastFailureAt: at(31).toISOString(),
      lastError: "probe failed",
      consecutiveFailures: 0,
      coolingDownUntil: null,
    });
  });
});
