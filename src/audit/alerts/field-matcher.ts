import type { FieldMatcher } from "./alert-rule.ts";
import { cidrTest } from "./ip-network.ts";

const MAX_VALUES = 1000;
const MAX_VALUE_LENGTH = 1000;
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$/;

/** The modifiers that decide how one value is compared; at most one per field. */
const COMPARISONS = ["contains", "startswith", "endswith", "re", "cidr", "exists", "gt", "gte", "lt", "lte"];
const REGEX_FLAGS: Readonly<Record<string, string>> = { i: "i", m: "m", s: "s" };

type ValueTest = (value: unknown) => boolean;

interface Modifiers {
  readonly comparison: string | null;
  readonly all: boolean;
  readonly cased: boolean;
  readonly regexFlags: string;
}

/**
 * Compiles one selection entry, `field|modifier|...: value-or-list`, into a test of an event.
 * Sigma semantics: a list is OR (AND with `|all`); plain strings are case-insensitive (`|cased`
 * makes them exact) with `*` and `?` wildcards (`\` escapes); `|re` is a case-sensitive
 * JavaScript regular expression (`|re|i`, `|re|m`, `|re|s` add flags); an array field matches
 * when an element does. Returns an error message for anything unsupported.
 */
export function compileFieldMatcher(key: string, value: unknown): FieldMatcher | string {
  const [field = "", ...names] = key.split("|");
  if (!FIELD_PATH.test(field)) return `invalid field name ${JSON.stringify(field.slice(0, 80))}`;
  const modifiers = parseModifiers(names);
  if (typeof modifiers === "string") return modifiers;
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  if (values.length === 0) return "an empty list matches nothing";
  if (values.length > MAX_VALUES) return `more than ${MAX_VALUES} values`;
  const tests: ValueTest[] = [];
  for (const pattern of values) {
    const test = valueTest(pattern, modifiers);
    if (typeof test === "string") return test;
    tests.push(test);
  }
  if (modifiers.comparison === "exists") {
    return { field, test: (read) => tests.every((test) => test(read(field))) };
  }
  return {
    field,
    test: (read) => {
      const found = read(field);
      const candidates = Array.isArray(found) ? (found as unknown[]) : [found];
      const hit = (test: ValueTest): boolean => candidates.some(test);
      return modifiers.all ? tests.every(hit) : tests.some(hit);
    },
  };
}

function parseModifiers(names: readonly string[]): Modifiers | string {
  let comparison: string | null = null;
  let all = false;
  let cased = false;
  let regexFlags = "";
  for (const name of names) {
    if (COMPARISONS.includes(name)) {
      if (comparison !== null) return `modifiers |${comparison} and |${name} cannot be combined`;
      comparison = name;
    } else if (name === "all") all = true;
    else if (name === "cased") cased = true;
    else if (comparison === "re" && REGEX_FLAGS[name] !== undefined) regexFlags += REGEX_FLAGS[name];
    else return `unsupported modifier |${name.slice(0, 40)} (see docs/alert-rules.md, Modifiers)`;
  }
  if (cased && comparison !== null && !["contains", "startswith", "endswith"].includes(comparison)) {
    return `|cased does not apply to |${comparison}`;
  }
  return { comparison, all, cased, regexFlags };
}

function valueTest(pattern: unknown, modifiers: Modifiers): ValueTest | string {
  const { comparison } = modifiers;
  if (comparison === "exists") {
    if (typeof pattern !== "boolean") return "|exists takes true or false";
    return (value) => (value !== undefined && value !== null) === pattern;
  }
  if (comparison === "gt" || comparison === "gte" || comparison === "lt" || comparison === "lte") {
    return numericTest(pattern, comparison);
  }
  if (pattern === null) {
    return comparison === null
      ? (value) => value === null || value === undefined
      : "null only works without modifiers";
  }
  if (typeof pattern !== "string" && typeof pattern !== "number" && typeof pattern !== "boolean") {
    return "a value is a string, a number, a boolean or null (a list of them for OR)";
  }
  const text = String(pattern);
  if (text.length > MAX_VALUE_LENGTH) return `a value longer than ${MAX_VALUE_LENGTH} characters`;
  if (comparison === "cidr") {
    const inBlock = cidrTest(text);
    return typeof inBlock === "string" ? inBlock : (value) => typeof value === "string" && inBlock(value);
  }
  if (comparison === "re") return regexTest(text, modifiers.regexFlags);
  const glob =
    comparison === "contains"
      ? `*${text}*`
      : comparison === "startswith"
        ? `${text}*`
        : comparison === "endswith"
          ? `*${text}`
          : text;
  return globTest(glob, modifiers.cased);
}

function numericTest(pattern: unknown, comparison: "gt" | "gte" | "lt" | "lte"): ValueTest | string {
  if (typeof pattern !== "number" || !Number.isFinite(pattern)) return `|${comparison} takes a number`;
  const compare = {
    gt: (n: number) => n > pattern,
    gte: (n: number) => n >= pattern,
    lt: (n: number) => n < pattern,
    lte: (n: number) => n <= pattern,
  }[comparison];
  return (value) => {
    const n =
      typeof value === "number"
        ? value
        : typeof value === "string" && value.trim() !== ""
          ? Number(value)
          : Number.NaN;
    return Number.isFinite(n) && compare(n);
  };
}

function regexTest(source: string, flags: string): ValueTest | string {
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags);
  } catch (error) {
    return `invalid regular expression: ${error instanceof Error ? error.message : String(error)}`;
  }
  return (value) => isScalar(value) && regex.test(String(value));
}

function globTest(glob: string, cased: boolean): ValueTest {
  let source = "";
  let wildcard = false;
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] ?? "";
    const next = glob[i + 1];
    if (char === "\\" && (next === "*" || next === "?" || next === "\\")) {
      source += `\\${next}`;
      i++;
    } else if (char === "*" || char === "?") {
      source += char === "*" ? "[\\s\\S]*" : "[\\s\\S]";
      wildcard = true;
    } else source += char.replace(/[-/\\^$*+?.()|[\]{}]/g, "\\$&");
  }
  if (!wildcard) {
    const literal = glob.replace(/\\([*?\\])/g, "$1");
    const expected = cased ? literal : literal.toLowerCase();
    return (value) => isScalar(value) && (cased ? String(value) : String(value).toLowerCase()) === expected;
  }
  const regex = new RegExp(`^${source}$`, cased ? "" : "i");
  return (value) => isScalar(value) && regex.test(String(value));
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}
