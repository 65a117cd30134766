import { describe, expect, it } from "vitest";
import { RestartBackoff } from "./restart-backoff.ts";

describe("RestartBackoff", () => {
  const options = { initialMs: 100, maxMs: 1000, stableMs: 5000 };

  it("doubles the delay with each early exit in a row, up to the maximum", () => {
    const backoff = new RestartBackoff(options);
    expect([10, 10, 10, 10, 10, 10].map((lifetime) => backoff.next(lifetime))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it("starts over after a worker that ran long enough", () => {
    const backoff = new RestartBackoff(options);
    backoff.next(10);
    backoff.next(10);
    expect(backoff.next(5000)).toBe(100);
    expect(backoff.next(10)).toBe(200);
  });

  it("never overflows, however long the crash loop", () => {
    const backoff = new RestartBackoff(options);
    for (let i = 0; i < 10_000; i++) backoff.next(0);
    expect(backoff.next(0)).toBe(1000);
  });
});
