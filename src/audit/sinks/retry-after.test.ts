import { describe, expect, it } from "vitest";
import { ManualClock } from "../../clock/clock.ts";
import { retryAfterMs } from "./retry-after.ts";

describe("retryAfterMs", () => {
  const clock = new ManualClock("2026-03-01T10:00:00.000Z");

  it("reads seconds", () => {
    expect(retryAfterMs("0", clock)).toBe(0);
    expect(retryAfterMs(" 120 ", clock)).toBe(120_000);
  });

  it("reads an HTTP date against the injected clock (a past date is 0)", () => {
    expect(retryAfterMs("Sun, 01 Mar 2026 10:00:30 GMT", clock)).toBe(30_000);
    expect(retryAfterMs("Sun, 01 Mar 2026 09:00:00 GMT", clock)).toBe(0);
  });

  it("ignores what it cannot read, and caps absurd waits at a day", () => {
    for (const value of [null, undefined, "", "soon", "1.5", "-3", "Tomorrow"])
      expect(retryAfterMs(value, clock)).toBeUndefined();
    expect(retryAfterMs("999999999999", clock)).toBe(86_400_000);
  });
});
