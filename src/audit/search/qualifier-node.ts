import { auditCategories, type AuditCategory } from "../audit-event.ts";
import { AuditQueryError, quoteForMessage, type QueryNode } from "./audit-query.ts";
import type { LeafBudget } from "./audit-query-limits.ts";
import type { Qualifier } from "./audit-query-qualifiers.ts";
import { parseIpRange, type PositionOf } from "./ip-sort-key.ts";
import { parseCreatedRange } from "./parse-created-range.ts";
import { allOf, term } from "./query-nodes.ts";
import { isBlank, type Value } from "./query-value.ts";

/** Qualifier values, shared by the text language and the JSON filter form. */

const PREFIXABLE: ReadonlySet<Qualifier> = new Set([
  "actor",
  "user",
  "token",
  "package",
  "version",
  "repository",
  "request",
  "action",
]);

const severities = ["info", "warning", "error"] as const;
const outcomes = ["success", "failure", "denied"] as const;

function isCategory(value: string): value is AuditCategory {
  return (auditCategories as readonly string[]).includes(value);
}

/** The node of `name:value`. `position` is where the qualifier starts (for the leaf limit). */
export function qualifierNode(
  name: Qualifier,
  value: Value,
  budget: LeafBudget,
  position: number,
): QueryNode {
  return budget.spend(buildQualifierNode(name, value), position);
}

function buildQualifierNode(name: Qualifier, value: Value): QueryNode {
  const { text, positionOf } = value;
  if (isBlank(text)) throw AuditQueryError.at(positionOf(0), `empty value for ${name}:`);
  // created: ranges use * for an open side; they are not prefixes.
  if (name === "created") return parseCreatedRange(value);
  const { base, prefix } = splitPrefix(name, value);
  switch (name) {
    case "actor":
    case "user":
      return term("user", base, prefix);
    case "token":
    case "package":
    case "version":
    case "repository":
    case "request":
      return term(name, base, prefix);
    case "action":
      return actionNode(base, prefix, positionOf);
    case "event":
      return term("event", oneOf(base, auditCategories, "event category", positionOf(0)));
    case "severity":
      return term("severity", oneOf(base, severities, "severity", positionOf(0)));
    case "outcome":
      return term("outcome", oneOf(base, outcomes, "outcome", positionOf(0)));
    case "ip": {
      const range = parseIpRange(text, positionOf);
      return { kind: "ip", range, exact: text.includes("/") ? null : range.text };
    }
  }
}

/** An unquoted value ending in `*` is a prefix; a `*` anywhere else is refused as ambiguous. */
export function splitPrefix(
  name: Qualifier,
  value: Value,
): { readonly base: string; readonly prefix: boolean } {
  const { text, positionOf } = value;
  if (value.literal) return { base: text, prefix: false };
  const prefix = text.endsWith("*");
  const base = prefix ? text.slice(0, -1) : text;
  const star = base.indexOf("*");
  if (star !== -1) {
    throw AuditQueryError.at(
      positionOf(star),
      "* is only allowed at the end of a value (a prefix match)",
      "to match a literal *, put the value in double quotes",
    );
  }
  if (prefix && !PREFIXABLE.has(name)) {
    throw AuditQueryError.at(
      positionOf(text.length - 1),
      `${name}: does not take a prefix (*)`,
      name === "ip" ? "write a CIDR block such as 203.0.113.0/24" : undefined,
    );
  }
  if (prefix && base === "") {
    throw AuditQueryError.at(positionOf(0), "a prefix needs at least one character before *");
  }
  return { base, prefix };
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string, position: number): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) {
    throw AuditQueryError.at(
      position,
      `unknown ${what} ${quoteForMessage(value)}`,
      `expected one of ${allowed.join(", ")}`,
    );
  }
  return found;
}

/**
 * GitHub writes actions as `category.name`; the log stores the two apart. So `token` alone is
 * the category, `token.created` both columns, `token.*` the category, and any other name without
 * a dot an action name (`login_failed`). No action is named like a category, so nothing is lost;
 * a prefix (`tok*`) is always an action prefix, never a guess at a category.
 */
function actionNode(base: string, prefix: boolean, positionOf: PositionOf): QueryNode {
  const dot = base.indexOf(".");
  if (dot === -1) return !prefix && isCategory(base) ? term("event", base) : term("action", base, prefix);
  const category = base.slice(0, dot);
  const name = base.slice(dot + 1);
  if (!isCategory(category)) {
    throw AuditQueryError.at(
      positionOf(0),
      `unknown event category ${quoteForMessage(category)} in action`,
      `write action:name or action:category.name with a category among ${auditCategories.join(", ")}`,
    );
  }
  if (name !== "") return allOf([term("event", category), term("action", name, prefix)]);
  if (prefix) return term("event", category);
  throw AuditQueryError.at(
    positionOf(dot + 1),
    `missing action name after ${quoteForMessage(`${category}.`)}`,
    `write action:${category}.* for every action of the category`,
  );
}
