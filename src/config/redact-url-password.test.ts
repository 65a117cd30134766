import { describe, expect, it } from "vitest";
import { redactUrlPassword } from "./redact-url-password.ts";

describe("redactUrlPassword", () => {
  it("hides the password and keeps the rest", () => {
    expect(redactUrlPassword("postgres://broker:s3cret@db:5432/pb")).toBe("postgres://broker:***@db:5432/pb");
    expect(redactUrlPassword("postgres://broker@db/pb")).toBe("postgres://broker@db/pb");
  });

  it("never echoes an unparsable URL", () => {
    expect(redactUrlPassword("postgres://broker:s3cret@[bad")).toBe("(unparsable)");
  });
});
