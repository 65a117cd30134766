import { describe, expect, it } from "vitest";
import type { DomainError } from "../errors/domain-error.ts";
import { buildVersionEntry, findSyntaxError, parseComposerJson, type ComposerJson } from "./composer-json.ts";

function refusal(text: string, maxBytes?: number): DomainError {
  try {
    parseComposerJson(text, maxBytes === undefined ? {} : { maxBytes });
  } catch (error) {
    return error as DomainError;
  }
  throw new Error(`expected ${JSON.stringify(text.slice(0, 100))} to be refused`);
}

const doc = (fields: Record<string, unknown>): string => JSON.stringify({ name: "acme/widget", ...fields });

describe("parseComposerJson", () => {
  it("returns the lowercased name, the version and the raw document", () => {
    const text = '{"name": "Acme/Widget", "version": "1.2.0", "require": {"php": ">=8.1"}}';
    expect(parseComposerJson(text)).toEqual({
      name: "acme/widget",
      version: "1.2.0",
      raw: { name: "Acme/Widget", version: "1.2.0", require: { php: ">=8.1" } },
    });
  });

  it("leaves version out when composer.json has none", () => {
    expect(Object.keys(parseComposerJson('{"name":"acme/widget"}'))).toEqual(["name", "raw"]);
  });

  it("accepts a UTF-8 byte order mark", () => {
    expect(parseComposerJson('\uFEFF{"name":"acme/widget"}').name).toBe("acme/widget");
  });

  it("accepts a realistic composer.json", () => {
    const text = JSON.stringify({
      name: "acme/widget",
      description: "Widgets",
      type: "library",
      keywords: ["widget"],
      homepage: "https://example.com",
      license: ["MIT", "GPL-2.0-or-later"],
      authors: [{ name: "A", email: "a@example.com", homepage: "https://a.example", role: "Dev" }],
      support: { issues: "https://example.com/issues", source: "https://example.com/src" },
      funding: [{ type: "github", url: "https://github.com/sponsors/a" }],
      require: { php: "^8.1", "acme/base": "^1.0" },
      "require-dev": [],
      conflict: {},
      suggest: { "ext-intl": "for locales" },
      autoload: { "psr-4": { "Acme\\Widget\\": "src/", "": "lib/" }, files: ["f.php"], classmap: ["c/"] },
      "autoload-dev": { "psr-4": { "Acme\\Tests\\": "tests/" } },
      extra: { "branch-alias": { "dev-main": "1.x-dev" }, anything: [1, { a: null }] },
      bin: "bin/widget",
      archive: { exclude: ["/tests"] },
      abandoned: "acme/gadget",
      scripts: { test: "phpunit" },
      config: { "sort-packages": true },
      "minimum-stability": "RC",
      "prefer-stable": true,
      repositories: [{ type: "vcs", url: "https://example.com/x.git" }],
      description2: null,
      time: null,
    });
    expect(parseComposerJson(text).name).toBe("acme/widget");
  });

  it("refuses documents larger than maxBytes, counting UTF-8 bytes", () => {
    const error = refusal(doc({ description: "x".repeat(2_000_000) }));
    expect(error.code).toBe("ComposerJsonTooLarge");
    expect(error.kind).toBe("invalid");
    const text = doc({ description: "é".repeat(40) }); // 40 chars, 80 bytes
    expect(refusal(text, text.length + 10).code).toBe("ComposerJsonTooLarge");
    expect(parseComposerJson(text, { maxBytes: text.length + 40 }).name).toBe("acme/widget");
    expect(parseComposerJson('{"name":"acme/widget","x":"\u{1F600}"}', { maxBytes: 33 }).name).toBe(
      "acme/widget",
    );
    expect(refusal('{"name":"acme/widget","x":"\u{1F600}"}', 32).code).toBe("ComposerJsonTooLarge");
  });

  it.each([
    [
      '{\n  "name": "acme/widget",\n}',
      "Unexpected token } at line 3, column 1 (expected a property name; remove the trailing comma)",
    ],
    ['{"name": "acme/widget" "type": "x"}', "Unexpected token \" at line 1, column 24 (expected ',' or '}')"],
    [
      '{"name": [1, 2,]}',
      "Unexpected token ] at line 1, column 16 (expected a value; remove the trailing comma)",
    ],
    [
      "{'name': 'acme/widget'}",
      "Unexpected token ' at line 1, column 2 (expected a property name in double quotes)",
    ],
    ['{"name": "acme/widget"', "Unexpected end of input at line 1, column 23"],
    ["", "Unexpected end of input at line 1, column 1"],
    ['{"a": "x\ny"}', "Unescaped control character U+000A in a string at line 1, column 9"],
    ['{"a": "\\q"}', "Invalid escape sequence in a string at line 1, column 8"],
    ['{"a": "\\u12"}', "Invalid \\u escape in a string at line 1, column 8"],
    ['{"a": 01}', "Unexpected token 1 at line 1, column 8 (expected ',' or '}')"],
    ['{"a": -}', "Invalid number at line 1, column 7"],
    ['{"a": NaN}', "Unexpected token N at line 1, column 7 (expected a value)"],
    ['{"a": 1} {}', "Unexpected token { after the end of the document at line 1, column 10"],
    ['{"a": "unterminated}', "Unterminated string at line 1, column 7"],
    ["\uFEFF\uFEFF{}", "Unexpected character U+FEFF at line 1, column 1 (expected a value)"],
  ])("explains a syntax error: %j", (text, explanation) => {
    const error = refusal(text);
    expect(error.code).toBe("InvalidComposerJson");
    expect(error.message).toBe(`composer.json is not valid JSON: ${explanation}.`);
  });

  it("refuses nesting deeper than 64 levels, without recursing", () => {
    const nested = (depth: number): string =>
      `{"name":"acme/widget","x":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;
    expect(parseComposerJson(nested(64)).name).toBe("acme/widget");
    expect(refusal(nested(65)).message).toMatch(/deeper than 64 levels \(at line 1, column 90\)/);
    expect(refusal("[".repeat(1_000_000)).message).toMatch(/deeper than 64 levels/);
    // brackets inside strings do not count
    expect(parseComposerJson(doc({ description: "[".repeat(100) + '\\"{' })).name).toBe("acme/widget");
  });

  it.each([
    ["an array", "[]", "composer.json must contain a JSON object, not an array."],
    ["a string", '"acme/widget"', "composer.json must contain a JSON object, not a string."],
    ["null", "null", "composer.json must contain a JSON object, not null."],
  ])("refuses a document that is %s", (_label, text, message) => {
    expect(refusal(text).message).toBe(message);
  });

  it.each([
    ["missing", "{}", "name"],
    ["null", '{"name": null}', "name"],
    ["a number", '{"name": 1}', "name"],
    ["invalid", '{"name": "acme"}', "name"],
    ["path traversal", '{"name": "../../etc"}', "name"],
    ["too long", JSON.stringify({ name: `acme/${"a".repeat(260)}` }), "name"],
    ["reserved", '{"name": "acme/con"}', "name"],
  ])("refuses a name that is %s", (_label, text, field) => {
    const error = refusal(text);
    expect(error.code).toBe("InvalidComposerJson");
    expect(error.extensions).toEqual({ field });
    expect(error.message.length).toBeLessThan(500);
  });

  it.each([
    [{ version: 1 }, "version", "must be a string, not a number"],
    [{ type: ["library"] }, "type", "must be a string, not an array"],
    [{ description: {} }, "description", "must be a string, not an object"],
    [{ time: 1700000000 }, "time", "must be a string"],
    [{ homepage: true }, "homepage", "must be a string"],
    [{ "target-dir": 1 }, "target-dir", "must be a string"],
    [{ license: 1 }, "license", "must be a string or an array of strings, not a number"],
    [{ license: ["MIT", 1] }, "license.1", "must be a string"],
    [{ keywords: "a, b" }, "keywords", "must be an array of strings, not a string"],
    [{ keywords: [["a"]] }, "keywords.0", "must be a string"],
    [{ bin: { a: "b" } }, "bin", "must be a string or an array of strings"],
    [{ "include-path": "lib" }, "include-path", "must be an array of strings"],
    [{ require: ["acme/base"] }, "require", "must be an object of strings, not an array"],
    [{ require: { "acme/base": 1 } }, "require.acme/base", "must be a string, not a number"],
    [{ "require-dev": "x" }, "require-dev", "must be an object of strings"],
    [{ conflict: { "a/b": null } }, "conflict.a/b", "must be a string, not null"],
    [{ replace: { "a/b": ["1.0"] } }, "replace.a/b", "must be a string"],
    [{ provide: true }, "provide", "must be an object of strings"],
    [{ suggest: { "a/b": false } }, "suggest.a/b", "must be a string"],
    [{ require: { "Acme/Widget": "*" } }, "require.Acme/Widget", "a package cannot require itself"],
    [{ replace: { "acme/widget": "self.version" } }, "replace.acme/widget", "cannot replace itself"],
    [{ autoload: "src/" }, "autoload", "must be an object"],
    [{ autoload: { "psr-5": {} } }, "autoload.psr-5", "is not an autoload type"],
    [{ autoload: { "psr-4": ["src/"] } }, "autoload.psr-4", "must be an object"],
    [
      { autoload: { "psr-4": { "Acme\\Widget": "src/" } } },
      "autoload.psr-4",
      "must end with a namespace separator",
    ],
    [{ "autoload-dev": ["tests/"] }, "autoload-dev", "must be an object"],
    [{ extra: "x" }, "extra", "must be an object"],
    [{ extra: { "branch-alias": ["1.x-dev"] } }, "extra.branch-alias", "must be an object"],
    [{ authors: { name: "A" } }, "authors", "must be an array of objects, not an object"],
    [{ authors: ["A"] }, "authors.0", "must be an object, not a string"],
    [{ authors: [{ name: 1 }] }, "authors.0.name", "must be a string"],
    [{ authors: [{ email: ["a@b"] }] }, "authors.0.email", "must be a string"],
    [{ support: "x" }, "support", "must be an object"],
    [{ support: { issues: 1 } }, "support.issues", "must be a string"],
    [{ funding: [{ url: 1 }] }, "funding.0.url", "must be a string"],
    [{ archive: { exclude: "tests" } }, "archive.exclude", "must be an array of strings"],
    [{ abandoned: 1 }, "abandoned", "must be a boolean or a string"],
    [{ scripts: "phpunit" }, "scripts", "must be an object"],
    [{ config: [1] }, "config", "must be an object"],
    [{ "minimum-stability": "unstable" }, "minimum-stability", "must be one of stable, RC, beta, alpha, dev"],
    [{ source: "x" }, "source", "must be an object"],
  ])("refuses %j", (fields, field, message) => {
    const error = refusal(doc(fields));
    expect(error.code).toBe("InvalidComposerJson");
    expect(error.extensions).toEqual({ field });
    expect(error.message.startsWith(`composer.json: "${field}" `)).toBe(true);
    expect(error.message).toContain(message);
  });

  it("refuses strings PHP cannot decode and numbers JSON cannot hold", () => {
    expect(refusal('{"name":"acme/widget","extra":{"x":["\\ud800"]}}').extensions).toEqual({
      field: "extra.x.0",
    });
    expect(refusal('{"name":"acme/widget","extra":{"\\udc00":1}}').message).toContain(
      "unpaired UTF-16 surrogate",
    );
    expect(refusal('{"name":"acme/widget","extra":{"x":1e999}}').extensions).toEqual({ field: "extra.x" });
    expect(parseComposerJson('{"name":"acme/widget","extra":{"x":"\\ud83d\\ude00"}}').name).toBe(
      "acme/widget",
    );
  });

  it("keeps __proto__ keys as data", () => {
    const parsed = parseComposerJson('{"name":"acme/widget","extra":{"__proto__":{"polluted":true}}}');
    expect(JSON.stringify(parsed.raw)).toBe('{"name":"acme/widget","extra":{"__proto__":{"polluted":true}}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("findSyntaxError", () => {
  it("finds nothing wrong in valid JSON", () => {
    for (const text of ['{"a":[1,-2.5e+3,true,false,null,"\\u00e9\\n"]}', " [ ] ", '""', "0", '{"a":{}}']) {
      expect(findSyntaxError(text)).toBeNull();
    }
  });
});

describe("buildVersionEntry", () => {
  const composerJson = (fields: Record<string, unknown>): ComposerJson => parseComposerJson(doc(fields));
  const info = { version: "v1.2.0", versionNormalized: "1.2.0.0", distReference: "d".repeat(40) };

  it("keeps Composer's package keys in a fixed order and drops root-only keys", () => {
    const entry = buildVersionEntry(
      composerJson({
        scripts: { test: "phpunit" },
        config: { "sort-packages": true },
        repositories: [],
        "minimum-stability": "dev",
        "prefer-stable": true,
        "notification-url": "https://elsewhere.example/notify",
        "non-feature-branches": ["x"],
        "scripts-descriptions": {},
        "scripts-aliases": {},
        readme: "README.md",
        dist: { type: "zip", url: "https://elsewhere.example/x.zip" },
        "default-branch": true,
        _comment: "x",
        abandoned: true,
        archive: { exclude: ["/tests"] },
        funding: [{ type: "github", url: "https://github.com/sponsors/a" }],
        support: { issues: "https://example.com/issues" },
        "target-dir": "Acme/Widget",
        "include-path": ["lib/"],
        bin: ["bin/widget"],
        extra: { foo: 1 },
        suggest: { "ext-intl": "locales" },
        provide: { "psr/log-implementation": "1.0" },
        replace: { "acme/old": "self.version" },
        conflict: { "acme/bad": "<1.0" },
        "require-dev": { "phpunit/phpunit": "^10" },
        require: { php: "^8.1" },
        "autoload-dev": { "psr-4": { "Acme\\Tests\\": "tests/" } },
        autoload: { "psr-4": { "Acme\\": "src/" } },
        time: "2020-01-01T00:00:00+00:00",
        type: "library",
        authors: [{ name: "A" }],
        license: "MIT",
        version: "1.2.0",
        homepage: "https://example.com",
        keywords: ["widget"],
        description: "Widgets",
      }),
      {
        ...info,
        time: "2024-01-02T12:00:00+00:00",
        source: { type: "git", url: "https://git.example/acme/widget.git", reference: "a".repeat(40) },
        defaultBranch: true,
      },
    );
    expect(Object.keys(entry)).toEqual([
      "name",
      "description",
      "keywords",
      "homepage",
      "version",
      "version_normalized",
      "license",
      "authors",
      "source",
      "type",
      "time",
      "autoload",
      "autoload-dev",
      "require",
      "require-dev",
      "conflict",
      "replace",
      "provide",
      "suggest",
      "extra",
      "bin",
      "include-path",
      "target-dir",
      "support",
      "funding",
      "archive",
      "abandoned",
      "default-branch",
    ]);
    expect(entry).toMatchObject({
      name: "acme/widget",
      version: "v1.2.0",
      version_normalized: "1.2.0.0",
      license: ["MIT"],
      source: { type: "git", url: "https://git.example/acme/widget.git", reference: "a".repeat(40) },
      time: "2024-01-02T12:00:00+00:00",
      "default-branch": true,
    });
    expect(entry).not.toHaveProperty("dist");
  });

  it("is deterministic whatever the key order in composer.json", () => {
    const a = buildVersionEntry(
      composerJson({ require: { php: "^8.1" }, description: "x", type: "library" }),
      info,
    );
    const b = buildVersionEntry(
      composerJson({ type: "library", description: "x", require: { php: "^8.1" } }),
      info,
    );
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it("uses composer.json's time when none is given, and normalizes bin and license to lists", () => {
    const entry = buildVersionEntry(
      composerJson({ time: "2020-01-01", bin: "bin/x", license: "proprietary" }),
      info,
    );
    expect(entry).toEqual({
      name: "acme/widget",
      version: "v1.2.0",
      version_normalized: "1.2.0.0",
      license: ["proprietary"],
      time: "2020-01-01",
      bin: ["bin/x"],
    });
  });

  it("leaves out nulls, empty arrays and objects, and the minifier's __unset marker", () => {
    const entry = buildVersionEntry(
      composerJson({
        description: "__unset",
        require: {},
        "require-dev": [],
        keywords: [],
        extra: null,
        type: null,
      }),
      info,
    );
    expect(entry).toEqual({ name: "acme/widget", version: "v1.2.0", version_normalized: "1.2.0.0" });
  });

  it.each([
    ["https://user:token@git.example/acme/widget.git", "https://git.example/acme/widget.git"],
    ["https://ghp_secret@github.com/acme/widget.git", "https://github.com/acme/widget.git"],
    ["ssh://git:pw@git.example/acme/widget.git", "ssh://git@git.example/acme/widget.git"],
    ["ssh://git@git.example/acme/widget.git", "ssh://git@git.example/acme/widget.git"],
    ["git@github.com:acme/widget.git", "git@github.com:acme/widget.git"],
    ["/srv/git/acme/widget", "/srv/git/acme/widget"],
    ["HTTPS://Git.Example/acme/widget.git", "HTTPS://Git.Example/acme/widget.git"],
  ])("never publishes credentials of the source URL %s", (url, published) => {
    const entry = buildVersionEntry(composerJson({}), {
      ...info,
      source: { type: "git", url, reference: "r" },
    });
    expect(entry.source).toEqual({ type: "git", url: published, reference: "r" });
  });

  it("does not write default-branch unless asked", () => {
    expect(buildVersionEntry(composerJson({}), { ...info, defaultBranch: false })).not.toHaveProperty(
      "default-branch",
    );
  });

  it("refuses empty versions", () => {
    expect(() => buildVersionEntry(composerJson({}), { ...info, version: "" })).toThrow(/must not be empty/);
  });
});
