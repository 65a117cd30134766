import type { Detection, FieldMatcher, Selection } from "./alert-rule.ts";
import { RuleFieldError } from "./alert-rules-invalid.ts";
import { compileFieldMatcher } from "./field-matcher.ts";
import { parseCondition } from "./parse-condition.ts";

const MAX_SELECTIONS = 50;
const MAX_FIELDS = 50;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;
const RESERVED = new Set(["and", "or", "not", "of", "them", "all", "any"]);

/**
 * A base rule's `detection`: search identifiers (a map of fields = AND, a list of maps = OR)
 * and the `condition` over them. Keyword searches (a bare list of values), Sigma 1's
 * `timeframe` and anything malformed throw a RuleFieldError naming the field.
 */
export function parseDetection(detection: Readonly<Record<string, unknown>>): Detection {
  const { condition, timeframe, ...searches } = detection;
  if (timeframe !== undefined) {
    throw new RuleFieldError(
      ["detection", "timeframe"],
      "timeframe is Sigma 1: write a correlation rule with a timespan",
    );
  }
  if (typeof condition !== "string") {
    throw new RuleFieldError(
      ["detection", "condition"],
      "a condition is one string, such as `selection and not filter`",
    );
  }
  const names = Object.keys(searches);
  if (names.length === 0)
    throw new RuleFieldError(["detection"], "no search identifier (such as selection:)");
  if (names.length > MAX_SELECTIONS)
    throw new RuleFieldError(["detection"], `more than ${MAX_SELECTIONS} search identifiers`);
  const selections = new Map<string, Selection>();
  for (const name of names) {
    if (!IDENTIFIER.test(name) || RESERVED.has(name.toLowerCase())) {
      throw new RuleFieldError(
        ["detection", name],
        "a search identifier is a letter or _ then letters, digits, _ or -, and no keyword",
      );
    }
    selections.set(name, parseSelection(name, searches[name]));
  }
  return { selections, condition: parseCondition(condition, names) };
}

function parseSelection(name: string, value: unknown): Selection {
  if (isPlainObject(value)) return [parseFieldMap(["detection", name], value)];
  if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
    if (value.length > MAX_SELECTIONS)
      throw new RuleFieldError(["detection", name], `more than ${MAX_SELECTIONS} alternatives`);
    return value.map((map, index) => parseFieldMap(["detection", name, index], map));
  }
  if (Array.isArray(value)) {
    throw new RuleFieldError(
      ["detection", name],
      "keyword searches (a list of bare values) are not supported: name the field, as in action: [login_failed]",
    );
  }
  throw new RuleFieldError(
    ["detection", name],
    "a search identifier is a map of fields (AND) or a list of such maps (OR)",
  );
}

function parseFieldMap(
  path: readonly (string | number)[],
  map: Readonly<Record<string, unknown>>,
): FieldMatcher[] {
  const keys = Object.keys(map);
  if (keys.length === 0) throw new RuleFieldError(path, "an empty map: name at least one field");
  if (keys.length > MAX_FIELDS) throw new RuleFieldError(path, `more than ${MAX_FIELDS} fields`);
  return keys.map((key) => {
    const matcher = compileFieldMatcher(key, map[key]);
    if (typeof matcher === "string") throw new RuleFieldError([...path, key], matcher);
    return matcher;
  });
}

export function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
