import { AuditQueryError, type QueryNode } from "./audit-query.ts";

/** What one query may cost: the compiled SQL grows with leaves, the parser's stack with depth. */
export const auditQueryLimits = { maxLength: 2000, maxLeaves: 64, maxDepth: 16 } as const;

/** Counts leaves across one whole query (a JSON filter's `q` included) against the limit. */
export class LeafBudget {
  #leaves = 0;

  spend(node: QueryNode, position: number): QueryNode {
    this.#leaves += countLeaves(node);
    if (this.#leaves > auditQueryLimits.maxLeaves) {
      throw AuditQueryError.at(
        position,
        "too many terms",
        `a query may have at most ${auditQueryLimits.maxLeaves} conditions`,
      );
    }
    return node;
  }
}

function countLeaves(node: QueryNode): number {
  switch (node.kind) {
    case "and":
    case "or":
      return node.children.reduce((sum, child) => sum + countLeaves(child), 0);
    case "not":
      return countLeaves(node.child);
    default:
      return 1;
  }
}
