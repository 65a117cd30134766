import { describe, expect, it } from "vitest";
import { readPackageList, readUpstreamRoot } from "./upstream-root.ts";

const ROOT = "https://repo.example/composer/packages.json";

describe("readUpstreamRoot", () => {
  it("reads Packagist's packages.json: metadata-url, list and metadata-changes-url, made absolute", () => {
    const body = JSON.stringify({
      packages: [],
      "metadata-url": "/p2/%package%.json",
      "metadata-changes-url": "https://packagist.org/metadata/changes.json",
      list: "https://packagist.org/packages/list.json",
      "providers-url": "/p/%package%$%hash%.json",
    });
    expect(readUpstreamRoot(body, ROOT)).toEqual({
      metadataUrl: "https://repo.example/p2/%package%.json",
      availablePackages: null,
      listUrl: "https://packagist.org/packages/list.json",
      changesUrl: "https://packagist.org/metadata/changes.json",
    });
  });

  it("keeps the valid names of available-packages and ignores unusable URLs", () => {
    const body = JSON.stringify({
      "metadata-url": "p2/%package%.json",
      "available-packages": ["acme/a", "Bad Name", 7, "acme/a", "acme/b"],
      list: "javascript:alert(1)",
      "metadata-changes-url": 12,
    });
    expect(readUpstreamRoot(body, ROOT)).toEqual({
      metadataUrl: "https://repo.example/composer/p2/%package%.json",
      availablePackages: ["acme/a", "acme/b"],
      listUrl: null,
      changesUrl: null,
    });
  });

  it.each([
    ["not JSON", "<html>", /is not JSON/],
    ["without metadata-url", '{"packages":[]}', /not a Composer v2 repository/],
    ["null", "null", /not a Composer v2 repository/],
  ])("refuses a packages.json %s", (_, body, message) => {
    expect(() => readUpstreamRoot(body, ROOT)).toThrow(message);
  });
});

describe("readPackageList", () => {
  it("reads packageNames, keeping valid names only", () => {
    expect(readPackageList('{"packageNames":["acme/a","NOPE",null,"acme/b"]}')).toEqual(["acme/a", "acme/b"]);
  });

  it.each(["<html>", "{}", '{"packageNames":"acme/a"}'])("refuses %s", (body) => {
    expect(() => readPackageList(body)).toThrow(/package list/);
  });
});
