import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { VersionEntry } from "./json-value.ts";
import { buildP2Document } from "./p2-document.ts";
import { readUpstreamP2 } from "./upstream-p2.ts";

const v110: VersionEntry = {
  name: "acme/lib",
  description: "A library",
  version: "v1.1.0",
  version_normalized: "1.1.0.0",
  license: ["MIT"],
  dist: { type: "zip", url: "https://up.example/acme/lib/110.zip", reference: "b".repeat(40), shasum: "" },
  require: { php: ">=8.1", "acme/base": "^1.0" },
  autoload: { "psr-4": { "Acme\\Lib\\": "src/" } },
  extra: { "branch-alias": { "dev-main": "1.x-dev" } },
};
const v100: VersionEntry = {
  ...v110,
  version: "v1.0.0",
  version_normalized: "1.0.0.0",
  dist: { type: "zip", url: "https://up.example/acme/lib/100.zip", reference: "a".repeat(40), shasum: "" },
};
// The extra key removed: the minified form says "__unset".
delete v100.extra;

describe("readUpstreamP2", () => {
  it("expands a minified document: inherited keys (require, autoload) and __unset", () => {
    const body = buildP2Document("acme/lib", [v110, v100]);
    expect(body).toContain('"extra":"__unset"');
    expect(body.match(/"autoload"/g)).toHaveLength(1);
    const versions = readUpstreamP2(body, "acme/lib");
    expect(versions.map((v) => v.versionNormalized)).toEqual(["1.1.0.0", "1.0.0.0"]);
    expect(versions[1]?.entry).toEqual(v100);
    expect(versions[1]?.entry.require).toEqual({ php: ">=8.1", "acme/base": "^1.0" });
    expect(versions[1]?.entry.autoload).toEqual({ "psr-4": { "Acme\\Lib\\": "src/" } });
    expect(versions[1]?.entry).not.toHaveProperty("extra");
  });

  it("reads a document that is not minified as it is", () => {
    const body = JSON.stringify({ packages: { "acme/lib": [v110, v100] } });
    expect(readUpstreamP2(body, "acme/lib").map((v) => v.entry)).toEqual([v110, v100]);
  });

  it("normalizes a missing version_normalized and skips versions it cannot file", () => {
    const body = JSON.stringify({
      packages: {
        "acme/lib": [{ name: "acme/lib", version: "v2.0" }, { name: "acme/lib" }, "junk"].slice(0, 2),
      },
    });
    expect(readUpstreamP2(body, "acme/lib").map((v) => v.versionNormalized)).toEqual(["2.0.0.0"]);
  });

  it("gives no versions when the document does not list the package", () => {
    expect(readUpstreamP2('{"packages":{}}', "acme/lib")).toEqual([]);
  });

  it.each([
    ["not JSON", "<html>oops</html>", /not valid JSON/],
    ["a list", "[]", /not a JSON object/],
    ["no packages", '{"minified":"composer/2.0"}', /no "packages" object/],
    ["packages not a list", '{"packages":{"acme/lib":{"1.0":{}}}}', /is not a list/],
    ["a version not an object", '{"packages":{"acme/lib":[1]}}', /version #0 is not an object/],
  ])("refuses %s", (_label, body, message) => {
    expect(() => readUpstreamP2(body, "acme/lib")).toThrow(message);
  });

  it("gives back what buildP2Document minified, for any versions (round trip)", () => {
    const value = fc.oneof(
      fc.string({ maxLength: 5 }),
      fc.integer(),
      fc.boolean(),
      fc.array(fc.string(), { maxLength: 2 }),
    );
    const key = fc.constantFrom("description", "require", "autoload", "extra", "license", "type", "time");
    const version = fc.record({
      extra: fc.dictionary(key, value, { maxKeys: 5 }),
      minor: fc.nat({ max: 50 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(version, { selector: (v) => v.minor, minLength: 1, maxLength: 8 }),
        (list) => {
          const versions: VersionEntry[] = list.map(({ extra, minor }) => ({
            name: "acme/lib",
            version: `1.${minor}.0`,
            version_normalized: `1.${minor}.0.0`,
            ...extra,
          }));
          const read = readUpstreamP2(buildP2Document("acme/lib", versions), "acme/lib");
          expect(read.map((v) => v.entry)).toEqual(versions);
        },
      ),
    );
  });
});
