import { describe, expect, it } from "vitest";
import { formatBytes } from "../../ui/src/components/format-bytes.ts";
import { packageNameOf, packagePath } from "../../ui/src/router/package-route.ts";

describe("package page addresses", () => {
  it("round-trip a package name", () => {
    expect(packagePath("acme/widgets")).toBe("/ui/packages/acme/widgets");
    expect(packageNameOf("/ui/packages/acme/widgets")).toBe("acme/widgets");
    expect(packageNameOf("/ui/packages/acme/widgets/")).toBe("acme/widgets");
    expect(packageNameOf(packagePath("my.vendor/some_lib-2"))).toBe("my.vendor/some_lib-2");
  });

  it("are not the list, deeper paths, or malformed escapes", () => {
    expect(packageNameOf("/ui/packages")).toBeNull();
    expect(packageNameOf("/ui/packages/acme")).toBeNull();
    expect(packageNameOf("/ui/packages/acme/widgets/extra")).toBeNull();
    expect(packageNameOf("/ui/packages/acme/%E0%A4%A")).toBeNull();
    expect(packageNameOf("/ui/tokens")).toBeNull();
  });

  it("escape what a name must not bring into the path", () => {
    expect(packagePath("acme/../../api")).toBe("/ui/packages/acme/..");
    expect(packagePath("a?b/c#d")).toBe("/ui/packages/a%3Fb/c%23d");
  });
});

describe("formatBytes", () => {
  it("reads as people read sizes", () => {
    expect([0, 1, 512, 1024, 1536, 10 * 1024, 5 * 1024 * 1024, 3 * 1024 ** 4].map(formatBytes)).toEqual([
      "0 bytes",
      "1 byte",
      "512 bytes",
      "1 KB",
      "1.5 KB",
      "10 KB",
      "5 MB",
      "3 TB",
    ]);
  });

  it("shows a dash for a negative or non-finite size", () => {
    expect([-1, Number.NaN, Number.POSITIVE_INFINITY].map(formatBytes)).toEqual(["—", "—", "—"]);
  });
});
