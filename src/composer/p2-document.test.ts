import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import type { VersionEntry } from "./json-value.ts";
import { expandVersions } from "./metadata-minifier.ts";
import { buildP2Document } from "./p2-document.ts";

const versions: VersionEntry[] = [
  {
    name: "acme/lib",
    description: "A library",
    version: "v1.1.0",
    version_normalized: "1.1.0.0",
    license: ["MIT"],
    require: { php: ">=8.1" },
  },
  {
    name: "acme/lib",
    description: "A library",
    version: "v1.0.0",
    version_normalized: "1.0.0.0",
    license: ["MIT"],
  },
];

describe("buildP2Document", () => {
  it("writes the minified document, compact, in the given order", () => {
    expect(buildP2Document("acme/lib", versions)).toBe(
      '{"minified":"composer/2.0","packages":{"acme/lib":[' +
        '{"name":"acme/lib","description":"A library","version":"v1.1.0","version_normalized":"1.1.0.0",' +
        '"license":["MIT"],"require":{"php":">=8.1"}},' +
        '{"version":"v1.0.0","version_normalized":"1.0.0.0","require":"__unset"}]}}',
    );
  });

  it("is byte-stable and expands back to the input", () => {
    const first = buildP2Document("acme/lib", versions);
    expect(buildP2Document("acme/lib", structuredClone(versions))).toBe(first);
    const parsed = JSON.parse(first) as { minified: string; packages: Record<string, VersionEntry[]> };
    expect(parsed.minified).toBe("composer/2.0");
    expect(expandVersions(parsed.packages["acme/lib"]!)).toEqual(versions);
  });

  it("orders each diff as Composer's expand-then-minify would, when a key reappears", () => {
    const document = buildP2Document("acme/lib", [
      { name: "acme/lib", version: "3", type: "library" },
      { name: "acme/lib", version: "2" },
      { name: "acme/lib", description: "back", version: "1", type: "library" },
    ]);
    // Composer's expand() updates version in place and appends the keys that reappear, so its
    // re-minified diff lists version, description, type (a plain minify gives description, version, type).
    expect(document).toBe(
      '{"minified":"composer/2.0","packages":{"acme/lib":[{"name":"acme/lib","version":"3","type":"library"},' +
        '{"version":"2","type":"__unset"},{"version":"1","description":"back","type":"library"}]}}',
    );
  });

  it("accepts an empty version list", () => {
    expect(buildP2Document("acme/lib", [])).toBe('{"minified":"composer/2.0","packages":{"acme/lib":[]}}');
  });

  it("rejects an invalid package name", () => {
    expect(() => buildP2Document("../x", [])).toThrow(DomainError);
  });

  it("refuses versions of another package or without a name", () => {
    expect(() => buildP2Document("acme/other", versions)).toThrow(/version #0 has name "acme\/lib"/);
    expect(() => buildP2Document("acme/lib", [versions[0]!, { version: "1.0.0" }])).toThrow(/version #1/);
  });
});
