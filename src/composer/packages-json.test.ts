import { describe, expect, it } from "vitest";
import type { DomainError } from "../errors/domain-error.ts";
import { buildPackagesJson, normalizeBaseUrl } from "./packages-json.ts";

describe("buildPackagesJson", () => {
  it("writes absolute URLs and the sorted package list", () => {
    expect(
      buildPackagesJson({
        baseUrl: "https://repo.example.com",
        packageNames: ["acme/b", "acme/a", "acme/b"],
      }),
    ).toBe(
      '{"packages":[],"metadata-url":"https://repo.example.com/p2/%package%.json",' +
        '"notify-batch":"https://repo.example.com/downloads","available-packages":["acme/a","acme/b"]}',
    );
  });

  it("keeps a path prefix, since Composer drops it from root-relative URLs", () => {
    const document = JSON.parse(
      buildPackagesJson({ baseUrl: "https://repo.example.com/composer/", packageNames: [] }),
    ) as Record<string, unknown>;
    expect(document["metadata-url"]).toBe("https://repo.example.com/composer/p2/%package%.json");
    expect(document["notify-batch"]).toBe("https://repo.example.com/composer/downloads");
    expect(document["available-packages"]).toEqual([]);
  });

  it("does not reorder its input array", () => {
    const names = ["b/b", "a/a"];
    buildPackagesJson({ baseUrl: "http://127.0.0.1:8080", packageNames: names });
    expect(names).toEqual(["b/b", "a/a"]);
  });

  it("rejects invalid package names", () => {
    expect(() => buildPackagesJson({ baseUrl: "http://127.0.0.1", packageNames: ["Acme/A"] })).toThrow(
      expect.objectContaining({ code: "InvalidPackageName" }),
    );
  });
});

describe("normalizeBaseUrl", () => {
  it.each([
    ["https://Repo.Example.com:443/", "https://repo.example.com"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
    ["https://repo.example.com/a/b//", "https://repo.example.com/a/b"],
  ])("normalizes %s", (input, expected) => {
    expect(normalizeBaseUrl(input)).toBe(expected);
  });

  it.each([
    "/composer",
    "repo.example.com",
    "ftp://repo.example.com",
    "file:///srv/repo",
    "https://user:pass@repo.example.com",
    "https://repo.example.com/?x=1",
    "https://repo.example.com/#top",
  ])("rejects %s", (input) => {
    try {
      normalizeBaseUrl(input);
      expect.unreachable();
    } catch (error) {
      expect((error as DomainError).code).toBe("InvalidBaseUrl");
    }
  });
});
