import { describe, expect, it } from "vitest";
import {
  asciiLower,
  isPcreSpace,
  lastLine,
  phpTrim,
  quoteRegExp,
  startsWithAsciiIgnoreCase,
} from "./php-compat.ts";

describe("php-compat", () => {
  it("phpTrim trims PHP's default characters only", () => {
    expect(phpTrim(" \t\n\r\0\v1.0\v\0\r\n\t ")).toBe("1.0");
    expect(phpTrim("\f1.0\u00a0")).toBe("\f1.0\u00a0");
    expect(phpTrim("   ")).toBe("");
  });

  it("asciiLower and startsWithAsciiIgnoreCase leave non-ASCII letters alone", () => {
    expect(asciiLower("DEV-İÅ")).toBe("dev-İÅ");
    expect(startsWithAsciiIgnoreCase("DeV-x", "dev-")).toBe(true);
    expect(startsWithAsciiIgnoreCase("de", "dev-")).toBe(false);
  });

  it("quoteRegExp makes any string match itself", () => {
    const nasty = "a.b*c+d?e^f$g{h}i(j)k|l[m]n\\o/p-q";
    expect(new RegExp(`^${quoteRegExp(nasty)}$`).test(nasty)).toBe(true);
  });

  it("isPcreSpace is PCRE's \\s without Unicode", () => {
    expect([" ", "\t", "\n", "\v", "\f", "\r"].every(isPcreSpace)).toBe(true);
    expect(["\u00a0", "\u2028", "x", ""].some(isPcreSpace)).toBe(false);
  });

  it("lastLine finds where PCRE's `.*$` can start and `$` first matches", () => {
    expect(lastLine("abc")).toEqual({ lineStart: 0, bodyEnd: 3 });
    expect(lastLine("abc\n")).toEqual({ lineStart: 0, bodyEnd: 3 });
    expect(lastLine("a\nbc")).toEqual({ lineStart: 2, bodyEnd: 4 });
    expect(lastLine("a\nbc\n")).toEqual({ lineStart: 2, bodyEnd: 4 });
    expect(lastLine("\n")).toEqual({ lineStart: 0, bodyEnd: 0 });
  });
});
