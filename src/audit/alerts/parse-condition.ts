import type { ConditionNode } from "./alert-rule.ts";
import { RuleFieldError } from "./alert-rules-invalid.ts";

const MAX_CONDITION_LENGTH = 2000;
const MAX_DEPTH = 32;
const PATH = ["detection", "condition"] as const;
const TOKEN = /\s*(\(|\)|[A-Za-z0-9_*-]+)/y;

/**
 * Parses a Sigma detection condition: identifiers, `and`, `or`, `not`, parentheses, and
 * `1 of PATTERN`, `all of PATTERN`, `1 of them`, `all of them` (PATTERN may end in or hold `*`;
 * `them` is every identifier not starting with `_`). Precedence: not, then and, then or.
 * The quantifiers are expanded against `identifiers`; an unknown identifier, a pattern matching
 * nothing, or a syntax error throws a RuleFieldError on `detection.condition`.
 */
export function parseCondition(text: string, identifiers: readonly string[]): ConditionNode {
  if (text.length > MAX_CONDITION_LENGTH) fail(`longer than ${MAX_CONDITION_LENGTH} characters`);
  const parser = new ConditionParser(tokenize(text), identifiers);
  return parser.parseAll();
}

function fail(message: string): never {
  throw new RuleFieldError(PATH, message);
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let position = 0;
  while (position < text.length) {
    if (text.slice(position).trim() === "") break;
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(text);
    if (match === null) fail(`unexpected character ${JSON.stringify(text.slice(position).trim()[0])}`);
    tokens.push(match[1] ?? "");
    position = TOKEN.lastIndex;
  }
  if (tokens.length === 0) fail("empty condition");
  return tokens;
}

const KEYWORDS = new Set(["and", "or", "not", "of", "them", "all", "1", "(", ")"]);

class ConditionParser {
  readonly #tokens: readonly string[];
  readonly #identifiers: readonly string[];
  #position = 0;

  constructor(tokens: readonly string[], identifiers: readonly string[]) {
    this.#tokens = tokens;
    this.#identifiers = identifiers;
  }

  parseAll(): ConditionNode {
    const node = this.#or(0);
    const rest = this.#peek();
    if (rest !== undefined) fail(`unexpected ${JSON.stringify(rest)}`);
    return node;
  }

  #peek(): string | undefined {
    return this.#tokens[this.#position];
  }

  #take(): string {
    const token = this.#tokens[this.#position];
    if (token === undefined) fail("unexpected end of condition");
    this.#position++;
    return token;
  }

  #or(depth: number): ConditionNode {
    const args = [this.#and(depth)];
    while (this.#peek()?.toLowerCase() === "or") {
      this.#take();
      args.push(this.#and(depth));
    }
    return args.length === 1 && args[0] !== undefined ? args[0] : { op: "or", args };
  }

  #and(depth: number): ConditionNode {
    const args = [this.#not(depth)];
    while (this.#peek()?.toLowerCase() === "and") {
      this.#take();
      args.push(this.#not(depth));
    }
    return args.length === 1 && args[0] !== undefined ? args[0] : { op: "and", args };
  }

  #not(depth: number): ConditionNode {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    if (this.#peek()?.toLowerCase() === "not") {
      this.#take();
      return { op: "not", arg: this.#not(depth + 1) };
    }
    return this.#primary(depth);
  }

  #primary(depth: number): ConditionNode {
    const token = this.#take();
    const lower = token.toLowerCase();
    if (token === "(") {
      const inner = this.#or(depth + 1);
      if (this.#take() !== ")") fail("missing )");
      return inner;
    }
    if (lower === "1" || lower === "any" || lower === "all") return this.#quantified(lower === "all");
    if (KEYWORDS.has(lower) || token.includes("*")) fail(`unexpected ${JSON.stringify(token)}`);
    if (!this.#identifiers.includes(token)) {
      fail(
        `unknown search identifier ${JSON.stringify(token)}; the detection defines ${this.#identifiers.join(", ")}`,
      );
    }
    return { op: "ref", name: token };
  }

  #quantified(all: boolean): ConditionNode {
    if (this.#take().toLowerCase() !== "of") fail("expected `of` after `1`/`all`");
    const pattern = this.#take();
    const names = this.#identifiers.filter((name) =>
      pattern.toLowerCase() === "them" ? !name.startsWith("_") : globMatches(pattern, name),
    );
    if (names.length === 0) fail(`${JSON.stringify(pattern)} matches no search identifier`);
    const refs = names.map((name): ConditionNode => ({ op: "ref", name }));
    if (refs.length === 1 && refs[0] !== undefined) return refs[0];
    return { op: all ? "and" : "or", args: refs };
  }
}

function globMatches(pattern: string, name: string): boolean {
  const source = pattern
    .split("*")
    .map((part) => part.replace(/[-/\\^$+?.()|[\]{}]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${source}$`).test(name);
}
