import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonValue, VersionEntry } from "./json-value.ts";
import { expandVersions, minifyVersions } from "./metadata-minifier.ts";

const source = (reference: string): JsonValue => ({
  type: "git",
  url: "https://git.example/acme/lib",
  reference,
});

describe("minifyVersions", () => {
  it("keeps the first version whole and later ones as differences, with __unset for removed keys", () => {
    const versions: VersionEntry[] = [
      {
        name: "acme/lib",
        version: "dev-main",
        source: source("aaa"),
        require: { php: ">=8.1" },
        extra: { "branch-alias": { "dev-main": "1.x-dev" } },
        "default-branch": true,
      },
      { name: "acme/lib", version: "dev-develop", source: source("bbb"), require: { php: ">=8.1" } },
    ];
    const minified = minifyVersions(versions);
    expect(minified).toEqual([
      versions[0],
      { version: "dev-develop", source: source("bbb"), extra: "__unset", "default-branch": "__unset" },
    ]);
    expect(expandVersions(minified)).toEqual(versions);
  });

  it("compares nested values by key order too, like PHP !== on arrays", () => {
    const minified = minifyVersions([
      { name: "a/b", require: { x: "1", y: "2" } },
      { name: "a/b", require: { y: "2", x: "1" } },
      { name: "a/b", require: { y: "2", x: "1" } },
    ]);
    expect(minified).toEqual([
      { name: "a/b", require: { x: "1", y: "2" } },
      { require: { y: "2", x: "1" } },
      {},
    ]);
  });

  it("tells lists from objects and numbers from strings", () => {
    const minified = minifyVersions([
      { name: "a/b", x: [1], y: 1 },
      { name: "a/b", x: { a: 1 }, y: "1" },
    ]);
    expect(minified[1]).toEqual({ x: { a: 1 }, y: "1" });
  });

  it("reproduces PHP's isset() quirk: a null in a later version becomes __unset", () => {
    const minified = minifyVersions([
      { name: "a/b", description: null },
      { name: "a/b", description: null },
      { name: "a/b", description: "x" },
    ]);
    expect(minified).toEqual([
      { name: "a/b", description: null },
      { description: "__unset" },
      { description: "x" },
    ]);
    expect(expandVersions(minified)).toEqual([
      { name: "a/b", description: null },
      { name: "a/b" },
      { name: "a/b", description: "x" },
    ]);
  });

  it("restarts after an empty version, as PHP treats an empty array as false", () => {
    const versions: VersionEntry[] = [{ name: "a/b" }, {}, { name: "a/b", version: "1.0.0" }];
    const minified = minifyVersions(versions);
    expect(minified).toEqual([{ name: "a/b" }, { name: "__unset" }, { name: "a/b", version: "1.0.0" }]);
    expect(expandVersions(minified)).toEqual(versions);
  });

  it("handles an empty list", () => {
    expect(minifyVersions([])).toEqual([]);
    expect(expandVersions([])).toEqual([]);
  });

  it("does not mutate its input", () => {
    const versions: VersionEntry[] = [
      { name: "a/b", version: "2", extra: { x: 1 } },
      { name: "a/b", version: "1" },
    ];
    const copy = structuredClone(versions);
    expandVersions(minifyVersions(versions));
    expect(versions).toEqual(copy);
  });

  it("treats __proto__ and Object.prototype names as plain keys", () => {
    const versions = JSON.parse(
      '[{"name":"a/b","__proto__":{"polluted":1},"constructor":"c","toString":"t"},{"name":"a/b","__proto__":{"polluted":2}}]',
    ) as VersionEntry[];
    const minified = minifyVersions(versions);
    expect(JSON.stringify(minified)).toBe(
      '[{"name":"a/b","__proto__":{"polluted":1},"constructor":"c","toString":"t"},' +
        '{"__proto__":{"polluted":2},"constructor":"__unset","toString":"__unset"}]',
    );
    const expanded = expandVersions(minified);
    expect(JSON.stringify(expanded)).toBe(JSON.stringify(versions));
    expect(Object.getPrototypeOf(expanded[1])).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("round-trips entries without top-level nulls or __unset values", () => {
    const key = fc.constantFrom("name", "version", "require", "extra", "type", "a", "b", "c");
    const value: fc.Arbitrary<JsonValue> = fc.oneof(
      fc.constantFrom<JsonValue>("x", "y", 1, true, [1, 2], { a: "x" }, { a: "y" }),
      fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>,
    );
    const entry = fc.dictionary(key, value, { maxKeys: 6, noNullPrototype: true });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), (versions) => {
        const clean = versions.map((version) =>
          Object.fromEntries(Object.entries(version).filter(([, v]) => v !== null && v !== "__unset")),
        );
        expect(expandVersions(minifyVersions(clean))).toEqual(clean);
      }),
      { seed: 20240601, numRuns: 500 },
    );
  });
});
