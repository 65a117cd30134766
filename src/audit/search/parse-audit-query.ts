import { AuditQueryError, type AuditQuery, type QueryNode } from "./audit-query.ts";
import { auditQueryLimits, LeafBudget } from "./audit-query-limits.ts";
import { checkCharacters } from "./check-characters.ts";
import type { PositionOf } from "./ip-sort-key.ts";
import { skipJsonWhitespace } from "./json-scanner.ts";
import { parseJsonFilter } from "./parse-json-filter.ts";
import { qualifierNode } from "./qualifier-node.ts";
import { allOf, anyOf, negate } from "./query-nodes.ts";
import { minusAlone, tokenizeAuditQuery, type Token } from "./tokenize-audit-query.ts";

export { auditQueryLimits } from "./audit-query-limits.ts";
export { auditQueryJsonKeys, auditQueryQualifiers } from "./audit-query-qualifiers.ts";

/**
 * The audit search language (docs/audit-search.md): GitHub's audit log search plus `OR`,
 * parentheses and a JSON filter form. Pure and hand-written (an index-walking lexer and a
 * recursive-descent parser, no backtracking regular expressions), because the text comes straight
 * from an HTTP query string: every input either yields a tree or an AuditQueryError that says
 * where the problem is, in time linear in its length.
 *
 * Here: the entry point and the recursive-descent parser of the text language. Its tokens come
 * from tokenize-audit-query.ts, `name:value` leaves from qualifier-node.ts (`created:` ranges from
 * parse-created-range.ts), and the JSON form from parse-json-filter.ts.
 */

/** Parses a search; null means "no condition". Throws AuditQueryError for anything else. */
export function parseAuditQuery(text: string): AuditQuery {
  if (text.length > auditQueryLimits.maxLength) {
    throw AuditQueryError.at(
      auditQueryLimits.maxLength,
      `query too long (${text.length} characters)`,
      `at most ${auditQueryLimits.maxLength}`,
    );
  }
  const budget = new LeafBudget();
  if (text[skipJsonWhitespace(text, 0)] === "{") return parseJsonFilter(text, budget, parseTextQuery);
  return parseTextQuery(text, (index) => index, budget);
}

// The text language's grammar:
//
//   query   = or
//   or      = and { "OR" and }
//   and     = unary { ["AND"] unary }
//   unary   = "-" unary | "(" or ")" | qualifier | word | phrase

function parseTextQuery(text: string, map: PositionOf, budget: LeafBudget): AuditQuery {
  checkCharacters(text, map, false);
  const tokens = tokenizeAuditQuery(text, map);
  if (tokens.length === 0) return null;
  return new TextParser(tokens, budget, map(text.length)).parse();
}

function startsTerm(token: Token | undefined): boolean {
  return token !== undefined && token.kind !== ")" && token.kind !== "OR" && token.kind !== "AND";
}

class TextParser {
  readonly #tokens: readonly Token[];
  readonly #budget: LeafBudget;
  readonly #end: number;
  #next = 0;

  constructor(tokens: readonly Token[], budget: LeafBudget, end: number) {
    this.#tokens = tokens;
    this.#budget = budget;
    this.#end = end;
  }

  parse(): QueryNode {
    const node = this.#or(0);
    const extra = this.#peek();
    // #or stops only at the end or at a ")" it has no "(" for.
    if (extra !== undefined) throw AuditQueryError.at(extra.position, "unmatched )", "remove it or add a (");
    return node;
  }

  #peek(): Token | undefined {
    return this.#tokens[this.#next];
  }

  #take(): Token | undefined {
    return this.#tokens[this.#next++];
  }

  #or(depth: number): QueryNode {
    const children = [this.#and(depth)];
    for (let token = this.#peek(); token?.kind === "OR"; token = this.#peek()) {
      this.#take();
      if (!startsTerm(this.#peek())) throw AuditQueryError.at(token.position, "OR needs a term after it");
      children.push(this.#and(depth));
    }
    return anyOf(children);
  }

  #and(depth: number): QueryNode {
    const children = [this.#unary(depth)];
    for (let token = this.#peek(); token !== undefined; token = this.#peek()) {
      if (token.kind === "AND") {
        this.#take();
        if (!startsTerm(this.#peek())) throw AuditQueryError.at(token.position, "AND needs a term after it");
      } else if (!startsTerm(token)) {
        break;
      }
      children.push(this.#unary(depth));
    }
    return allOf(children);
  }

  #unary(depth: number): QueryNode {
    const token = this.#take();
    if (token === undefined) throw AuditQueryError.at(this.#end, "unexpected end of query");
    switch (token.kind) {
      case "-":
        this.#enter(depth, token.position);
        if (!startsTerm(this.#peek())) throw minusAlone(token.position);
        return negate(this.#unary(depth + 1));
      case "(": {
        this.#enter(depth, token.position);
        const first = this.#peek();
        if (first === undefined) throw unclosed(token.position);
        if (first.kind === ")") {
          throw AuditQueryError.at(token.position, "empty parentheses", "put a term inside, or remove them");
        }
        const node = this.#or(depth + 1);
        if (this.#take()?.kind !== ")") throw unclosed(token.position);
        return node;
      }
      case ")":
        throw AuditQueryError.at(token.position, "unmatched )", "remove it or add a (");
      case "OR":
      case "AND":
        throw AuditQueryError.at(token.position, `${token.kind} needs a term before it`);
      case "qualifier":
        return qualifierNode(token.name, token.value, this.#budget, token.position);
      case "word":
        return this.#budget.spend({ kind: "text", text: token.text, phrase: false }, token.position);
      case "phrase":
        return this.#budget.spend({ kind: "text", text: token.value.text, phrase: true }, token.position);
    }
  }

  /** Parentheses and negations each nest one level; the limit keeps the recursion shallow. */
  #enter(depth: number, position: number): void {
    if (depth + 1 > auditQueryLimits.maxDepth) {
      throw AuditQueryError.at(
        position,
        "query nested too deeply",
        `at most ${auditQueryLimits.maxDepth} levels of parentheses and negations`,
      );
    }
  }
}

function unclosed(position: number): AuditQueryError {
  return AuditQueryError.at(position, "unclosed parenthesis opened", "add a )");
}
