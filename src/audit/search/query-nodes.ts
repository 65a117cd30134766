import type { QueryNode, TermField } from "./audit-query.ts";

/**
 * Node builders that keep QueryNode's shape (audit-query.ts): no `and` directly in an `and`, no
 * `or` in an `or`, no `not` around a `not`.
 */
export function allOf(nodes: readonly QueryNode[]): QueryNode {
  const flat = nodes.flatMap((node) => (node.kind === "and" ? node.children : [node]));
  const [only] = flat;
  return flat.length === 1 && only !== undefined ? only : { kind: "and", children: flat };
}

export function anyOf(nodes: readonly QueryNode[]): QueryNode {
  const flat = nodes.flatMap((node) => (node.kind === "or" ? node.children : [node]));
  const [only] = flat;
  return flat.length === 1 && only !== undefined ? only : { kind: "or", children: flat };
}

export function negate(node: QueryNode): QueryNode {
  return node.kind === "not" ? node.child : { kind: "not", child: node };
}

export function term(field: TermField, value: string, prefix = false): QueryNode {
  return { kind: "term", field, value, prefix };
}
