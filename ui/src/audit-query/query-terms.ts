/**
 * Small edits of an audit search (docs/audit-search.md) that the filters and the completion make:
 * the search stays one line of the query language, which the search bar shows as it is.
 */

export const QUALIFIERS = [
  "event:",
  "action:",
  "actor:",
  "user:",
  "ip:",
  "token:",
  "package:",
  "version:",
  "repository:",
  "severity:",
  "outcome:",
  "request:",
  "created:",
] as const;

export const QUALIFIER_VALUES: Readonly<Record<string, readonly string[]>> = {
  "event:": [
    "authentication",
    "package_access",
    "repository",
    "package",
    "token",
    "user",
    "configuration",
    "audit",
    "system",
    "alert",
  ],
  "severity:": ["info", "warning", "error"],
  "outcome:": ["success", "failure", "denied"],
};

/** The terms of a search: runs of non-space characters, a quoted part (with `\"`) kept whole. */
export function splitTerms(query: string): string[] {
  const terms: string[] = [];
  let current = "";
  let quoted = false;
  for (let index = 0; index < query.length; index++) {
    const char = query[index] ?? "";
    if (quoted && char === "\\") {
      current += char + (query[index + 1] ?? "");
      index++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (!quoted && /\s/.test(char)) {
      if (current !== "") terms.push(current);
      current = "";
      continue;
    }
    current += char;
  }
  if (current !== "") terms.push(current);
  return terms;
}

/**
 * The search with every plain `name:...` term of that qualifier replaced by `name:value` (or
 * removed when value is empty). Negated terms (`-name:`) and terms inside parentheses are left
 * alone: they say something else.
 */
export function setQualifier(query: string, name: string, value: string): string {
  const prefix = name.toLowerCase();
  let depth = 0;
  const kept = splitTerms(query).filter((term) => {
    const outside = depth === 0 && !/[()]/.test(term);
    depth += parentheses(term);
    return !(outside && term.toLowerCase().startsWith(prefix));
  });
  const added = value === "" ? [] : [`${name}${quoteValue(value)}`];
  return [...kept, ...added].join(" ");
}

/** The value of the first plain term of that qualifier, or "". */
export function qualifierValue(query: string, name: string): string {
  const prefix = name.toLowerCase();
  let depth = 0;
  const term = splitTerms(query).find((candidate) => {
    const outside = depth === 0 && !/[()]/.test(candidate);
    depth += parentheses(candidate);
    return outside && candidate.toLowerCase().startsWith(prefix);
  });
  return term === undefined ? "" : term.slice(name.length);
}

/** How much a term opens (+) or closes (-) parentheses, quoted parts aside. */
function parentheses(term: string): number {
  const bare = term.replace(/"(?:[^"\\]|\\.)*"?/g, "");
  return (bare.match(/\(/g)?.length ?? 0) - (bare.match(/\)/g)?.length ?? 0);
}

function quoteValue(value: string): string {
  // A comparison (created:>=2026-01-01) or a plain word stays as it is.
  if (!/[\s()"]/.test(value)) return value;
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * Whole searches that complete the last term being typed: a qualifier name (`ac` → `action:`), or
 * one of the values of `event:`, `severity:` and `outcome:`. Empty when there is nothing to offer.
 */
export function completions(draft: string): string[] {
  if (draft.endsWith(" ") || draft === "") {
    return QUALIFIERS.map((qualifier) => `${draft}${qualifier}`);
  }
  const start = Math.max(draft.lastIndexOf(" "), draft.lastIndexOf("(")) + 1;
  const head = draft.slice(0, start);
  const last = draft.slice(start);
  const negation = last.startsWith("-") ? "-" : "";
  const term = last.slice(negation.length).toLowerCase();
  const colon = term.indexOf(":");
  if (colon < 0) {
    return QUALIFIERS.filter((qualifier) => qualifier.startsWith(term) && qualifier !== term).map(
      (qualifier) => `${head}${negation}${qualifier}`,
    );
  }
  const qualifier = term.slice(0, colon + 1);
  const typed = last.slice(negation.length + colon + 1);
  return (QUALIFIER_VALUES[qualifier] ?? [])
    .filter((value) => value.startsWith(typed) && value !== typed)
    .map((value) => `${head}${negation}${qualifier}${value}`);
}
