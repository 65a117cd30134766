import { invalidInput, type DomainError } from "../errors/domain-error.ts";
import { isJsonObject, setOwn, type JsonObject, type JsonValue, type VersionEntry } from "./json-value.ts";
import { isValidPackageName } from "./package-name.ts";

export const DEFAULT_COMPOSER_JSON_MAX_BYTES = 1024 * 1024;
/** Objects and arrays may nest this deep (the top-level object is level 1). */
export const MAX_COMPOSER_JSON_DEPTH = 64;

export interface ComposerJson {
  /** The package name, lowercased. */
  name: string;
  /** The `version` key, when composer.json sets one. */
  version?: string;
  /** The whole document as parsed (BOM removed), including keys that version entries drop. */
  raw: Record<string, JsonValue>;
}

export interface ParseComposerJsonOptions {
  /** Largest accepted document in UTF-8 bytes; 1 MiB by default. */
  maxBytes?: number;
}

const CODE = "InvalidComposerJson";

function fieldError(field: string, message: string): DomainError {
  return invalidInput(CODE, `composer.json: "${field}" ${message}`, { field });
}

/**
 * Parses and checks a composer.json taken from a git ref or an uploaded archive. Throws `invalid`
 * DomainErrors: `ComposerJsonTooLarge`, or `InvalidComposerJson` (with `extensions.field` for a
 * bad key, `extensions.line`/`column` for a syntax error). The checks are the ones that make
 * Composer's ValidatingArrayLoader fail, plus what would make a p2 document unreadable for PHP
 * (unpaired surrogates, numbers that are not finite).
 */
export function parseComposerJson(text: string, options: ParseComposerJsonOptions = {}): ComposerJson {
  const maxBytes = options.maxBytes ?? DEFAULT_COMPOSER_JSON_MAX_BYTES;
  if (utf8LengthExceeds(text, maxBytes)) {
    throw invalidInput("ComposerJsonTooLarge", `composer.json is larger than ${maxBytes} bytes.`, {
      maxBytes,
    });
  }
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;

  const tooDeep = findExcessiveNesting(body, MAX_COMPOSER_JSON_DEPTH);
  if (tooDeep !== null) {
    const { line, column } = lineAndColumn(body, tooDeep);
    throw invalidInput(
      CODE,
      `composer.json nests objects and arrays deeper than ${MAX_COMPOSER_JSON_DEPTH} levels (at line ${line}, column ${column}).`,
      { line, column },
    );
  }

  let parsed: JsonValue;
  try {
    parsed = JSON.parse(body) as JsonValue;
  } catch (error) {
    throw syntaxError(body, error);
  }

  if (!isJsonObject(parsed)) {
    throw invalidInput(CODE, `composer.json must contain a JSON object, not ${describeType(parsed)}.`);
  }
  checkPortable(parsed, "");
  const name = checkFields(parsed);
  const version = parsed.version;
  return typeof version === "string" ? { name, version, raw: parsed } : { name, raw: parsed };
}

// ---------------------------------------------------------------------------------------------
// Version entries

export interface VersionEntryInfo {
  /** Pretty version: the tag name (`v1.2.0`) or `dev-<branch>`. */
  version: string;
  versionNormalized: string;
  /** Release time (RFC 3339). When absent, composer.json's own `time` is used, if any. */
  time?: string;
  source?: { type: "git"; url: string; reference: string };
  /** Not written here: the server adds the whole `dist` block itself. */
  distReference: string;
  defaultBranch?: boolean;
}

/** Keys copied from composer.json into a version entry, in this order, after the computed ones. */
const DESCRIPTIVE_KEYS = ["description", "keywords", "homepage"] as const;
const AFTER_SOURCE_KEYS = [
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
] as const;

/**
 * The version entry the server stores and serves in p2 documents (without `dist`, which the server
 * adds). Only keys Composer loads for a dependency are kept; root-only keys (config, repositories,
 * minimum-stability, prefer-stable, scripts, ...) and notification-url are dropped. Empty arrays and
 * objects, nulls and the minifier's `"__unset"` marker are left out, `license` and `bin` become lists
 * (as Composer's loader reads them). The key order is fixed, so consecutive versions minify well.
 */
export function buildVersionEntry(composerJson: ComposerJson, info: VersionEntryInfo): VersionEntry {
  if (info.version === "" || info.versionNormalized === "") {
    throw new Error("buildVersionEntry: version and versionNormalized must not be empty");
  }
  const raw = composerJson.raw;
  const entry: VersionEntry = {};
  const copy = (key: string, value: JsonValue | undefined): void => {
    if (value === undefined || value === null || value === "__unset") return;
    if (Array.isArray(value) && value.length === 0) return;
    if (isJsonObject(value) && Object.keys(value).length === 0) return;
    setOwn(entry, key, value);
  };
  const fromRaw = (key: string): JsonValue | undefined => (Object.hasOwn(raw, key) ? raw[key] : undefined);

  copy("name", composerJson.name);
  for (const key of DESCRIPTIVE_KEYS) copy(key, fromRaw(key));
  copy("version", info.version);
  copy("version_normalized", info.versionNormalized);
  const license = fromRaw("license");
  copy("license", typeof license === "string" ? [license] : license);
  copy("authors", fromRaw("authors"));
  if (info.source !== undefined) {
    copy("source", {
      type: info.source.type,
      url: withoutSecrets(info.source.url),
      reference: info.source.reference,
    });
  }
  for (const key of AFTER_SOURCE_KEYS) {
    if (key === "time") {
      copy("time", info.time ?? fromRaw("time"));
    } else if (key === "bin") {
      const bin = fromRaw("bin");
      copy("bin", typeof bin === "string" ? [bin] : bin);
    } else {
      copy(key, fromRaw(key));
    }
  }
  if (info.defaultBranch === true) entry["default-branch"] = true;
  return entry;
}

/**
 * p2 documents go to every client: never publish credentials found in a source URL. http(s) URLs
 * lose their user info (`https://TOKEN@host/...` is common), other schemes their password
 * (`ssh://git@host/...` keeps its user name). Other URLs are returned unchanged.
 */
function withoutSecrets(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const web = parsed.protocol === "http:" || parsed.protocol === "https:";
  if (parsed.password === "" && (!web || parsed.username === "")) return url;
  parsed.password = "";
  if (web) parsed.username = "";
  return parsed.href;
}

// ---------------------------------------------------------------------------------------------
// Field checks

type Check = (value: JsonValue, field: string) => void;

const string: Check = (value, field) => {
  if (typeof value !== "string") throw fieldError(field, `must be a string, not ${describeType(value)}.`);
};

const boolOrString: Check = (value, field) => {
  if (typeof value !== "string" && typeof value !== "boolean") {
    throw fieldError(field, `must be a boolean or a string, not ${describeType(value)}.`);
  }
};

/** A JSON list (`[]`) whose items all pass `item`. */
const listOf =
  (item: Check, what: string): Check =>
  (value, field) => {
    if (!Array.isArray(value))
      throw fieldError(field, `must be an array of ${what}, not ${describeType(value)}.`);
    value.forEach((element, index) => {
      item(element, `${field}.${index}`);
    });
  };

const stringList = listOf(string, "strings");

const stringOrStringList: Check = (value, field) => {
  if (typeof value === "string") return;
  if (!Array.isArray(value)) {
    throw fieldError(field, `must be a string or an array of strings, not ${describeType(value)}.`);
  }
  stringList(value, field);
};

/**
 * A JSON object whose values pass `item`. An empty list `[]` is accepted too: PHP decodes `{}` and
 * `[]` to the same empty array, and composer.json files use both.
 */
const mapOf =
  (item: Check | null, what: string): Check =>
  (value, field) => {
    if (Array.isArray(value) && value.length === 0) return;
    if (!isJsonObject(value))
      throw fieldError(field, `must be an object${what}, not ${describeType(value)}.`);
    if (item === null) return;
    for (const key of Object.keys(value)) item(value[key] as JsonValue, `${field}.${key}`);
  };

const anyMap = mapOf(null, "");
const stringMap = mapOf(string, " of strings");

/** An object whose listed keys, when present and not null, pass their checks. */
const objectWith =
  (checks: Readonly<Record<string, Check>>): Check =>
  (value, field) => {
    anyMap(value, field);
    if (!isJsonObject(value)) return;
    for (const [key, check] of Object.entries(checks)) {
      const member = Object.hasOwn(value, key) ? value[key] : undefined;
      if (member !== undefined && member !== null) check(member, `${field}.${key}`);
    }
  };

const author = objectWith({ name: string, email: string, homepage: string, role: string });
const fundingOption = objectWith({ type: string, url: string });

const AUTOLOAD_TYPES = new Set(["psr-0", "psr-4", "classmap", "files", "exclude-from-classmap"]);

const autoload: Check = (value, field) => {
  anyMap(value, field);
  if (!isJsonObject(value)) return;
  for (const type of Object.keys(value)) {
    if (!AUTOLOAD_TYPES.has(type)) {
      throw fieldError(
        `${field}.${type}`,
        `is not an autoload type; use one of ${[...AUTOLOAD_TYPES].join(", ")}.`,
      );
    }
  }
  const psr4 = value["psr-4"];
  if (psr4 !== undefined && psr4 !== null) {
    anyMap(psr4, `${field}.psr-4`);
    if (isJsonObject(psr4)) {
      for (const namespace of Object.keys(psr4)) {
        if (namespace !== "" && !namespace.endsWith("\\")) {
          throw fieldError(
            `${field}.psr-4`,
            `has the namespace ${JSON.stringify(namespace)}, which must end with a namespace separator (\\).`,
          );
        }
      }
    }
  }
  const psr0 = value["psr-0"];
  if (psr0 !== undefined && psr0 !== null) anyMap(psr0, `${field}.psr-0`);
};

const STABILITIES = new Set(["stable", "rc", "beta", "alpha", "dev"]);

const minimumStability: Check = (value, field) => {
  string(value, field);
  if (typeof value === "string" && !STABILITIES.has(value.toLowerCase())) {
    throw fieldError(field, `must be one of stable, RC, beta, alpha, dev, not ${JSON.stringify(value)}.`);
  }
};

const LINK_KEYS = ["require", "require-dev", "conflict", "replace", "provide"] as const;

/** Checks for the top-level keys; a key set to `null` counts as absent, as with PHP's isset(). */
const TOP_LEVEL: Readonly<Record<string, Check>> = {
  description: string,
  version: string,
  type: string,
  keywords: stringList,
  homepage: string,
  time: string,
  license: stringOrStringList,
  authors: listOf(author, "objects"),
  support: objectWith({
    issues: string,
    forum: string,
    wiki: string,
    source: string,
    email: string,
    irc: string,
    docs: string,
    rss: string,
    chat: string,
    security: string,
  }),
  funding: listOf(fundingOption, "objects"),
  require: stringMap,
  "require-dev": stringMap,
  conflict: stringMap,
  replace: stringMap,
  provide: stringMap,
  suggest: stringMap,
  autoload,
  "autoload-dev": anyMap,
  "include-path": stringList,
  "target-dir": string,
  extra: objectWith({ "branch-alias": anyMap }),
  bin: stringOrStringList,
  archive: objectWith({ name: string, exclude: stringList }),
  abandoned: boolOrString,
  scripts: anyMap,
  config: anyMap,
  "minimum-stability": minimumStability,
  "non-feature-branches": stringList,
  source: anyMap,
  dist: anyMap,
};

/** Checks the known keys and returns the lowercased package name. */
function checkFields(document: JsonObject): string {
  const rawName = Object.hasOwn(document, "name") ? document.name : undefined;
  if (rawName === undefined || rawName === null) {
    throw fieldError("name", "is missing; composer.json must have a package name such as acme/widget.");
  }
  if (typeof rawName !== "string")
    throw fieldError("name", `must be a string, not ${describeType(rawName)}.`);
  const name = rawName.toLowerCase();
  if (!isValidPackageName(name)) {
    throw fieldError(
      "name",
      `is not a valid package name: ${JSON.stringify(shorten(rawName))}. It should be a vendor name, a ` +
        "forward slash and a project name, such as acme/widget: words of a-z and 0-9 separated by -, . or _, " +
        "at most 255 characters, no reserved device names, not ending in .json.",
    );
  }

  for (const [key, check] of Object.entries(TOP_LEVEL)) {
    const value = Object.hasOwn(document, key) ? document[key] : undefined;
    if (value !== undefined && value !== null) check(value, key);
  }

  for (const linkType of LINK_KEYS) {
    const links = document[linkType];
    if (!isJsonObject(links)) continue;
    for (const target of Object.keys(links)) {
      if (target.toLowerCase() === name) {
        throw fieldError(
          `${linkType}.${target}`,
          `is the package itself; a package cannot ${linkType} itself.`,
        );
      }
    }
  }
  return name;
}

/** Rejects strings PHP's json_decode refuses (unpaired surrogates) and numbers JSON cannot hold. */
function checkPortable(value: JsonValue, field: string): void {
  if (typeof value === "string") {
    if (LONE_SURROGATE.test(value)) throw fieldError(field, "contains an unpaired UTF-16 surrogate.");
  } else if (typeof value === "number") {
    if (!Number.isFinite(value)) throw fieldError(field, "is a number too large to represent.");
  } else if (Array.isArray(value)) {
    value.forEach((element, index) => {
      checkPortable(element, join(field, String(index)));
    });
  } else if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      const path = join(field, key);
      if (LONE_SURROGATE.test(key)) throw fieldError(path, "has a key with an unpaired UTF-16 surrogate.");
      checkPortable(value[key] as JsonValue, path);
    }
  }
}

/** With the `u` flag, surrogate pairs are one code point, so this matches only unpaired halves. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

const join = (field: string, key: string): string => (field === "" ? key : `${field}.${key}`);

function describeType(value: JsonValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "a boolean";
    default:
      return "an object";
  }
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// Size, depth and syntax errors

/** True when the UTF-8 encoding of `text` is longer than `max` bytes; stops counting early. */
function utf8LengthExceeds(text: string, max: number): boolean {
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
    if (bytes > max) return true;
  }
  return false;
}

const isLowSurrogate = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

/** Offset of the first `{` or `[` that opens level `max + 1`, outside strings; null if none. */
function findExcessiveNesting(text: string, max: number): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return null;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function syntaxError(text: string, cause: unknown): DomainError {
  const found = findSyntaxError(text);
  if (found === null) {
    const detail = cause instanceof Error ? cause.message.slice(0, 200) : "unknown error";
    return invalidInput(CODE, `composer.json is not valid JSON: ${detail}`);
  }
  const { line, column } = lineAndColumn(text, found.offset);
  const expected = found.expected === undefined ? "" : ` (expected ${found.expected})`;
  return invalidInput(
    CODE,
    `composer.json is not valid JSON: ${found.message} at line ${line}, column ${column}${expected}.`,
    { line, column },
  );
}

export interface SyntaxProblem {
  message: string;
  /** What the grammar allowed at that point, when that helps. */
  expected?: string;
  offset: number;
}

type Expect =
  | "value"
  | "value-or-close"
  | "value-after-comma"
  | "key"
  | "key-or-close"
  | "colon"
  | "comma-or-close"
  | "end";

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/**
 * A strict RFC 8259 syntax checker, used only to explain why JSON.parse failed, with a message
 * that does not depend on the JavaScript engine. Iterative, so deep input cannot overflow the stack.
 */
export function findSyntaxError(text: string): SyntaxProblem | null {
  const stack: ("object" | "array")[] = [];
  let expect: Expect = "value";
  let i = 0;
  const afterValue = (): Expect => (stack.length === 0 ? "end" : "comma-or-close");
  const unexpected = (expected: string): SyntaxProblem => ({
    message: `Unexpected ${describeChar(text, i)}`,
    expected,
    offset: i,
  });

  for (;;) {
    while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
    if (i >= text.length) {
      return expect === "end" ? null : { message: "Unexpected end of input", offset: i };
    }
    const c = text.charAt(i);
    switch (expect) {
      case "end":
        return { message: `Unexpected ${describeChar(text, i)} after the end of the document`, offset: i };
      case "colon":
        if (c !== ":") return unexpected("':' after the property name");
        i++;
        expect = "value";
        continue;
      case "comma-or-close": {
        const inObject = stack[stack.length - 1] === "object";
        if (c === ",") {
          i++;
          expect = inObject ? "key" : "value-after-comma";
        } else if (c === (inObject ? "}" : "]")) {
          i++;
          stack.pop();
          expect = afterValue();
        } else {
          return unexpected(inObject ? "',' or '}'" : "',' or ']'");
        }
        continue;
      }
      case "key":
      case "key-or-close":
        if (c === "}" && expect === "key-or-close") {
          i++;
          stack.pop();
          expect = afterValue();
          continue;
        }
        if (c !== '"') {
          return unexpected(
            c === "}" ? "a property name; remove the trailing comma" : "a property name in double quotes",
          );
        }
        {
          const problem = skipString(text, i);
          if (typeof problem !== "number") return problem;
          i = problem;
        }
        expect = "colon";
        continue;
      case "value":
      case "value-or-close":
      case "value-after-comma": {
        if (c === "]" && expect === "value-or-close") {
          i++;
          stack.pop();
          expect = afterValue();
          continue;
        }
        if (c === "{" || c === "[") {
          stack.push(c === "{" ? "object" : "array");
          i++;
          expect = c === "{" ? "key-or-close" : "value-or-close";
          continue;
        }
        if (c === '"') {
          const problem = skipString(text, i);
          if (typeof problem !== "number") return problem;
          i = problem;
        } else if (c === "-" || (c >= "0" && c <= "9")) {
          NUMBER.lastIndex = i;
          const m = NUMBER.exec(text);
          if (m === null) return { message: "Invalid number", offset: i };
          i += m[0].length;
        } else {
          const literal = ["true", "false", "null"].find((word) => text.startsWith(word, i));
          if (literal === undefined) {
            return unexpected(
              c === "]" && expect === "value-after-comma" ? "a value; remove the trailing comma" : "a value",
            );
          }
          i += literal.length;
        }
        expect = afterValue();
        continue;
      }
    }
  }
}

/** Returns the offset after the closing quote, or the problem found in the string. */
function skipString(text: string, start: number): number | SyntaxProblem {
  let i = start + 1;
  for (;;) {
    if (i >= text.length) return { message: "Unterminated string", offset: start };
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      const next = text[i + 1];
      if (next === "u") {
        if (!HEX4.test(text.slice(i + 2, i + 6)))
          return { message: "Invalid \\u escape in a string", offset: i };
        i += 6;
      } else if (next !== undefined && '"\\/bfnrt'.includes(next)) {
        i += 2;
      } else {
        return { message: "Invalid escape sequence in a string", offset: i };
      }
      continue;
    }
    if (c < 0x20) {
      return { message: `Unescaped control character ${unicodeName(c)} in a string`, offset: i };
    }
    i++;
  }
}

const isWhitespace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function describeChar(text: string, offset: number): string {
  const code = text.codePointAt(offset) ?? 0;
  if (code > 0x20 && code < 0x7f) return `token ${String.fromCharCode(code)}`;
  return `character ${unicodeName(code)}`;
}

function unicodeName(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}
