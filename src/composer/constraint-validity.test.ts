import { describe, expect, it } from "vitest";
import { isParseableConstraint } from "./constraint-validity.ts";

describe("isParseableConstraint", () => {
  it.each([
    "dev-main",
    "1.9999999.9999999.9999999-dev",
    "^1.0",
    "~1.2.3",
    "^0.0",
    ">=1.0 <2.0",
    ">=1.0,<2.0",
    "1.0 - 2.0",
    "1.*",
    "*",
    "dev-a,-b",
    "dev-a|dev-b",
    "dev-a || master",
    "foobar-dev",
    "dev-main#abc123",
    "1.0@beta",
    "@dev",
  ])("accepts %j", (constraint) => {
    expect(isParseableConstraint(constraint)).toBe(true);
  });

  it.each(["", "foo", "dev-a,b", "dev-a|", "~>1.0", "~1.2.3.4.x-dev", "1.0 - foo", ">=foo"])(
    "rejects %j",
    (constraint) => {
      expect(isParseableConstraint(constraint)).toBe(false);
    },
  );

  it("stays fast on long adversarial input", () => {
    const inputs = [`a${" ".repeat(10_000)}-b`, `dev-${"#a".repeat(5_000)}\nx`, `${" |".repeat(5_000)}x`];
    const started = performance.now();
    for (const input of inputs) isParseableConstraint(input);
    expect(performance.now() - started).toBeLessThan(250);
  });
});
