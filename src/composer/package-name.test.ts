import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import { isValidPackageName, MAX_PACKAGE_NAME_LENGTH, parsePackageName } from "./package-name.ts";

describe("isValidPackageName", () => {
  it.each([
    "acme/widget",
    "a/b",
    "0/0",
    "acme-corp/widget",
    "acme.corp/widget_2",
    "acme_corp/widget.js",
    "acme/widget--legacy",
    "symfony/polyfill-php80",
    "vendor123/package-name.with_all-separators",
  ])("accepts %s", (name) => {
    expect(isValidPackageName(name)).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["no slash", "acme"],
    ["two slashes", "acme/widget/extra"],
    ["uppercase", "Acme/Widget"],
    ["leading separator", "-acme/widget"],
    ["trailing separator", "acme/widget-"],
    ["double separator in vendor", "acme--corp/widget"],
    ["triple dash in project", "acme/widget---x"],
    ["mixed separators", "acme/widget._x"],
    ["empty vendor", "/widget"],
    ["empty project", "acme/"],
    ["path traversal", "../etc/passwd"],
    ["dot segments", "acme/.."],
    ["dot vendor", "./widget"],
    ["encoded dot", "acme/%2e%2e"],
    ["encoded slash", "acme%2fwidget"],
    ["null byte", "acme/widget\u0000"],
    ["newline at end", "acme/widget\n"],
    ["space", "acme/wid get"],
    ["backslash", "acme\\widget"],
    ["non-ascii", "acmé/widget"],
    ["fullwidth letters", "ａcme/widget"],
    ["reserved vendor", "con/widget"],
    ["reserved project", "acme/lpt1"],
    ["json suffix", "acme/widget.json"],
    ["platform package", "ext-json"],
    ["php", "php"],
  ])("rejects %s", (_label, name) => {
    expect(isValidPackageName(name)).toBe(false);
  });

  it("accepts reserved words as part of a longer name", () => {
    expect(isValidPackageName("console/auxiliary")).toBe(true);
    expect(isValidPackageName("acme/widget.jsonx")).toBe(true);
  });

  it("limits the length to 255 characters", () => {
    const atLimit = `acme/${"a".repeat(MAX_PACKAGE_NAME_LENGTH - 5)}`;
    expect(atLimit).toHaveLength(255);
    expect(isValidPackageName(atLimit)).toBe(true);
    expect(isValidPackageName(`${atLimit}a`)).toBe(false);
  });

  it("rejects hostile input fast", () => {
    const hostile = [
      "a".repeat(10_000_000),
      `${"a-".repeat(5_000_000)}!`,
      `acme/${"a-".repeat(120)}!`,
      `${"a.".repeat(60)}a/${"a--".repeat(60)}!`,
      `acme/${"a".repeat(249)}\u0000`,
    ];
    const started = performance.now();
    for (const name of hostile) expect(isValidPackageName(name)).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe("parsePackageName", () => {
  it("splits vendor and project", () => {
    expect(parsePackageName("acme-corp/widget.js")).toEqual({ vendor: "acme-corp", project: "widget.js" });
  });

  it("throws an invalid InvalidPackageName error", () => {
    let caught: unknown;
    try {
      parsePackageName("../etc/passwd");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    const error = caught as DomainError;
    expect(error.kind).toBe("invalid");
    expect(error.code).toBe("InvalidPackageName");
    expect(error.message).toContain('"../etc/passwd"');
  });

  it("keeps error messages short for long input", () => {
    try {
      parsePackageName("x".repeat(100_000));
      expect.unreachable();
    } catch (error) {
      expect((error as DomainError).message.length).toBeLessThan(300);
      expect((error as DomainError).message).toContain("longer than 255");
    }
  });
});
