import { AuditQueryError, quoteForMessage, type AuditQuery, type QueryNode } from "./audit-query.ts";
import type { LeafBudget } from "./audit-query-limits.ts";
import { auditQueryJsonKeys, type JsonKey } from "./audit-query-qualifiers.ts";
import { checkCharacters } from "./check-characters.ts";
import type { PositionOf } from "./ip-sort-key.ts";
import { JsonScanner, type JsonMember } from "./json-scanner.ts";
import { qualifierNode, splitPrefix } from "./qualifier-node.ts";
import { allOf, anyOf, term } from "./query-nodes.ts";
import { isBlank, type Value } from "./query-value.ts";

/**
 * The text language's parser, for `q`. The caller passes it in: it lives in parse-audit-query.ts,
 * which imports this module, so importing it back would make a cycle.
 */
export type TextQueryParser = (text: string, map: PositionOf, budget: LeafBudget) => AuditQuery;

/**
 * `{"event":"authentication","action":"login_failed"}`: every key ANDed, an array of strings
 * ORed. JSON.parse decides what is valid JSON; a small scanner then walks the (valid) text again
 * to know where each key and value is, so errors can point at them.
 */
export function parseJsonFilter(
  text: string,
  budget: LeafBudget,
  parseTextQuery: TextQueryParser,
): AuditQuery {
  checkCharacters(text, (index) => index, true);
  try {
    JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // V8 names the position for some errors only; a truncated object fails at its end.
    const reported = /at position (\d+)/.exec(reason)?.[1];
    const position =
      reported !== undefined
        ? Math.min(Number(reported), text.length)
        : reason.includes("end of JSON input")
          ? text.length
          : 0;
    throw AuditQueryError.at(position, "invalid JSON", reason);
  }
  const members = new JsonScanner(text).object();
  const seen = new Set<string>();
  const nodes: QueryNode[] = [];
  const hasEvent = members.some((member) => member.key === "event");
  for (const member of members) {
    if (!isJsonKey(member.key)) {
      throw AuditQueryError.at(
        member.position,
        `unknown key ${quoteForMessage(member.key)}`,
        `known: ${auditQueryJsonKeys.join(", ")}`,
      );
    }
    if (seen.has(member.key)) {
      throw AuditQueryError.at(member.position, `duplicate key ${quoteForMessage(member.key)}`);
    }
    seen.add(member.key);
    const node = jsonMemberNode(member.key, stringsOf(member), hasEvent, budget, parseTextQuery);
    if (node !== null) nodes.push(node);
  }
  return nodes.length === 0 ? null : allOf(nodes);
}

function isJsonKey(key: string): key is JsonKey {
  return (auditQueryJsonKeys as readonly string[]).includes(key);
}

/** A member's value as strings: one string, or a non-empty array of them. */
function stringsOf(member: JsonMember): { readonly position: number; readonly value: Value }[] {
  const { value } = member;
  const expected = `${quoteForMessage(member.key)} takes a string or a non-empty array of strings`;
  if (value.kind === "string") return [value];
  if (value.kind === "other") throw AuditQueryError.at(value.position, `${expected}, not ${value.type}`);
  if (value.items.length === 0) throw AuditQueryError.at(value.position, `${expected}, not an empty array`);
  return value.items.map((item) => {
    if (item.kind === "string") return item;
    throw AuditQueryError.at(
      item.position,
      `${expected}, not ${item.kind === "other" ? item.type : "array"}`,
    );
  });
}

function jsonMemberNode(
  key: JsonKey,
  values: readonly { readonly position: number; readonly value: Value }[],
  hasEvent: boolean,
  budget: LeafBudget,
  parseTextQuery: TextQueryParser,
): QueryNode | null {
  const nodes: QueryNode[] = [];
  for (const { position, value } of values) {
    checkCharacters(value.text, value.positionOf, false);
    if (key === "q") {
      const node = parseTextQuery(value.text, value.positionOf, budget);
      // One alternative matches everything, so the whole OR does.
      if (node === null) return null;
      nodes.push(node);
      continue;
    }
    if (isBlank(value.text)) throw AuditQueryError.at(position, `empty value for ${quoteForMessage(key)}`);
    if (key === "text") {
      nodes.push(budget.spend({ kind: "text", text: value.text, phrase: true }, position));
    } else if (key === "action" && (hasEvent || !value.text.includes("."))) {
      // Next to "event", or without a dot, the action is the stored name, even a category's name.
      nodes.push(budget.spend(plainActionNode(value), position));
    } else {
      nodes.push(qualifierNode(key === "request_id" ? "request" : key, value, budget, position));
    }
  }
  return anyOf(nodes);
}

/** `action` as the stored name, with the same `*` rules as any other value. */
function plainActionNode(value: Value): QueryNode {
  const { base, prefix } = splitPrefix("action", value);
  return term("action", base, prefix);
}
