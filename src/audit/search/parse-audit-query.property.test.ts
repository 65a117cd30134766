import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auditCategories } from "../audit-event.ts";
import { AuditQueryError, type AuditQuery, type QueryNode, type TermField } from "./audit-query.ts";
import { parseIpRange } from "./ip-sort-key.ts";
import { auditQueryLimits, auditQueryQualifiers, parseAuditQuery } from "./parse-audit-query.ts";

/**
 * Whatever the text, parseAuditQuery returns a tree that keeps the documented invariants or throws
 * an AuditQueryError with a position inside the text, never anything else; and a printed tree
 * parses back to itself.
 */

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const KEY = /^[0-9a-f]{32}$/;
const ENUMS: Partial<Record<TermField, readonly string[]>> = {
  event: auditCategories,
  severity: ["info", "warning", "error"],
  outcome: ["success", "failure", "denied"],
};

/** Checks one node and returns its leaf count and depth. */
function check(node: QueryNode): { leaves: number; depth: number } {
  switch (node.kind) {
    case "and":
    case "or": {
      expect(node.children.length).toBeGreaterThanOrEqual(2);
      let leaves = 0;
      let depth = 0;
      for (const child of node.children) {
        expect(child.kind).not.toBe(node.kind);
        const sub = check(child);
        leaves += sub.leaves;
        depth = Math.max(depth, sub.depth);
      }
      return { leaves, depth: depth + 1 };
    }
    case "not": {
      expect(node.child.kind).not.toBe("not");
      const sub = check(node.child);
      return { leaves: sub.leaves, depth: sub.depth + 1 };
    }
    case "term":
      expect(Object.keys(node).sort()).toEqual(["field", "kind", "prefix", "value"]);
      expect(node.value.trim()).not.toBe("");
      expect(typeof node.prefix).toBe("boolean");
      if (ENUMS[node.field] !== undefined) {
        expect(ENUMS[node.field]).toContain(node.value);
        expect(node.prefix).toBe(false);
      }
      break;
    case "ip":
      expect(node.range.first).toMatch(KEY);
      expect(node.range.last).toMatch(KEY);
      expect(node.range.first <= node.range.last).toBe(true);
      expect(node.exact === null || node.exact === node.range.text).toBe(true);
      break;
    case "created":
      for (const bound of [node.from, node.to]) {
        if (bound !== null) {
          expect(bound).toMatch(ISO);
          expect(new Date(bound).toISOString()).toBe(bound);
        }
      }
      if (node.from !== null && node.to !== null) expect(node.from < node.to).toBe(true);
      break;
    case "text":
      expect(node.text.trim()).not.toBe("");
      expect(typeof node.phrase).toBe("boolean");
      break;
  }
  return { leaves: 1, depth: 1 };
}

/** The property every input must satisfy (void: fast-check reads a returned null as a failure). */
function parsesOrFailsCleanly(text: string): void {
  let query: AuditQuery;
  try {
    query = parseAuditQuery(text);
  } catch (error) {
    if (!(error instanceof AuditQueryError)) throw error;
    expect(Number.isInteger(error.position)).toBe(true);
    expect(error.position).toBeGreaterThanOrEqual(0);
    expect(error.position).toBeLessThanOrEqual(text.length);
    expect(error.message).toContain(`at position ${error.position}`);
    return;
  }
  if (query !== null) {
    const { leaves } = check(query);
    expect(leaves).toBeLessThanOrEqual(auditQueryLimits.maxLeaves);
  }
  // Pure: the same text gives the same tree.
  expect(parseAuditQuery(text)).toEqual(query);
}

/** Pieces of the language, valid and not, to put together at random. */
const fragment = fc.oneof(
  fc.constantFrom(
    ...auditQueryQualifiers.map((name) => `${name}:`),
    "ACTOR:",
    "foo:",
    "https://x.example/a?b=c",
    "OR",
    "AND",
    "NOT",
    "(",
    ")",
    "-",
    '"',
    "\\",
    '\\"',
    "*",
    "..",
    ":",
    "{",
    "}",
    "token",
    "token.created",
    "token.*",
    "foo.bar",
    "login_failed",
    "acme/*",
    "pb_Ab3d…x9Yz",
    "info",
    "denied",
    "203.0.113.0/24",
    "203.0.113.5/24",
    "2001:db8::/32",
    "::ffff:1.2.3.4",
    "fe80::1%eth0",
    "2026-01-01",
    "2026-02-30",
    ">=2026-01-01",
    "<2026-01-01T10:00:00Z",
    "2026-01-01T10:00:00.5+02:00",
    "2026-01-01..2026-01-31",
    "*..2026-01-01",
    "9999-12-31",
    '{"event":"token"}',
    '{"q":"',
    '"event"',
    '":',
    "[",
    "]",
    ",",
    "\\u0000",
    "\n",
    "\t",
    "\u0000",
    "\ud800",
    "😀",
  ),
  fc.string({ maxLength: 4 }),
);
const separator = fc.constantFrom("", "", " ", " ", "  ", "\t");
const grammarish = fc
  .array(fc.tuple(fragment, separator), { maxLength: 40 })
  .map((parts) => parts.map(([piece, space]) => piece + space).join(""));

const jsonValue = fc.oneof(
  fc.constantFrom("token", "token.created", "a", "", " ", "acme/*", ">=2026-01-01", "1.2.3.4", "a OR (b"),
  fc.string({ maxLength: 8 }),
  fc.array(fc.constantFrom("token", "user", "x", ""), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 2 }),
);
const jsonKey = fc.oneof(
  fc.constantFrom(...auditQueryQualifiers, "request_id", "text", "q", "unknown"),
  fc.string({ maxLength: 4 }),
);
const jsonFilter = fc
  .tuple(fc.dictionary(jsonKey, jsonValue, { maxKeys: 5 }), fc.constantFrom(undefined, 1, "\t"))
  .map(([object, indent]) => JSON.stringify(object, null, indent));

describe("parseAuditQuery on arbitrary input", () => {
  it("ASCII strings", () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), parsesOrFailsCleanly), { numRuns: 3000 });
  });

  it("full Unicode strings", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 60 }), parsesOrFailsCleanly), {
      numRuns: 2000,
    });
  });

  it("any UTF-16 code units, lone surrogates and control characters included", () => {
    const unit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
    fc.assert(fc.property(fc.string({ unit, maxLength: 40 }), parsesOrFailsCleanly), { numRuns: 2000 });
  });

  it("strings built from pieces of the language", () => {
    fc.assert(fc.property(grammarish, parsesOrFailsCleanly), { numRuns: 5000 });
  });

  it("JSON filters, valid and not", () => {
    fc.assert(fc.property(jsonFilter, parsesOrFailsCleanly), { numRuns: 3000 });
    fc.assert(fc.property(fc.json({ maxDepth: 3 }), parsesOrFailsCleanly), { numRuns: 1000 });
  });

  it("long hostile inputs (no backtracking: these must simply finish)", () => {
    const hostile = [
      "(".repeat(2000),
      ")".repeat(2000),
      `${"-".repeat(1999)}a`,
      '"'.repeat(2000),
      `"${"\\".repeat(1998)}"`,
      `"${'\\"'.repeat(999)}`,
      "a:".repeat(1000),
      "actor:".repeat(333),
      "x".repeat(2000),
      "a ".repeat(1000),
      "a OR ".repeat(400),
      "(a) ".repeat(500),
      `created:${"..".repeat(996)}`,
      `created:${"2026-01-01T00:00:00".repeat(50)}`,
      `created:>=${"9".repeat(1990)}`,
      `ip:${":".repeat(1997)}`,
      `ip:${"1.".repeat(998)}1`,
      `ip:${"ffff:".repeat(399)}`,
      `ip:::/${"9".repeat(1990)}`,
      `package:${"*".repeat(1992)}`,
      `{"q":"${"(".repeat(1990)}"}`,
      `{"user":${"[".repeat(1990)}}`,
      `{"user":[${'"a",'.repeat(400)}"a"]}`,
      `{${'"a":1,'.repeat(330)}"b":2}`,
      `{"q":"${"\\\\".repeat(995)}"}`,
    ];
    for (const text of hostile) {
      expect(text.length).toBeLessThanOrEqual(2000);
      parsesOrFailsCleanly(text);
      parsesOrFailsCleanly(text.slice(0, -1));
    }
  });

  it("long inputs of language pieces", () => {
    const long = fc.array(fc.tuple(fragment, separator), { minLength: 200, maxLength: 400 }).map((parts) =>
      parts
        .map(([piece, space]) => piece + space)
        .join("")
        .slice(0, 2000),
    );
    fc.assert(fc.property(long, parsesOrFailsCleanly), { numRuns: 300 });
  });
});

// --- Round trip: print a random tree, parse it back --------------------------------------------

const safeWord = fc
  .string({
    unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789_/.-".split("")),
    minLength: 1,
    maxLength: 8,
  })
  .filter((word) => /^[a-z0-9]/.test(word));
const anyText = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 12 })
  // eslint-disable-next-line no-control-regex -- exactly what the parser refuses
  .filter((value) => value.trim() !== "" && !/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/.test(value));

const freeField = fc.constantFrom<TermField>("user", "token", "package", "version", "repository", "request");
const leaf: fc.Arbitrary<QueryNode> = fc.oneof(
  fc.record({ field: freeField, value: anyText }).map(({ field, value }) => term(field, value, false)),
  fc.record({ field: freeField, value: safeWord }).map(({ field, value }) => term(field, value, true)),
  fc.constantFrom(...auditCategories).map((value) => term("event", value, false)),
  fc
    .constantFrom("login_failed", "download", "created", "token_expired")
    .map((value) => term("action", value, false)),
  fc.constantFrom("info", "warning", "error").map((value) => term("severity", value, false)),
  fc.constantFrom("success", "failure", "denied").map((value) => term("outcome", value, false)),
  safeWord.map((value): QueryNode => ({ kind: "text", text: value, phrase: false })),
  anyText.map((value): QueryNode => ({ kind: "text", text: value, phrase: true })),
  fc
    .constantFrom("203.0.113.7", "203.0.113.0/24", "0.0.0.0/0", "2001:db8::/32", "2001:db8::1", "::/0")
    .map((value): QueryNode => {
      const range = parseIpRange(value);
      return { kind: "ip", range, exact: value.includes("/") ? null : range.text };
    }),
  fc
    .tuple(
      fc.option(fc.integer({ min: 0, max: 4_000_000_000_000 })),
      fc.option(fc.integer({ min: 1, max: 1_000_000_000_000 })),
    )
    .map(([from, length]): QueryNode => {
      const to = from === null || length === null ? length : from + length;
      return {
        kind: "created",
        from: from === null ? null : new Date(from).toISOString(),
        to: to === null ? null : new Date(to).toISOString(),
      };
    }),
);

function term(field: TermField, value: string, prefix: boolean): QueryNode {
  return { kind: "term", field, value, prefix };
}

const tree = fc.letrec<{ node: QueryNode }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 3, depthIdentifier: "tree" },
    leaf,
    tie("node").map((child): QueryNode => ({ kind: "not", child })),
    fc
      .array(tie("node"), { minLength: 2, maxLength: 3 })
      .map((children): QueryNode => ({ kind: "and", children })),
    fc
      .array(tie("node"), { minLength: 2, maxLength: 3 })
      .map((children): QueryNode => ({ kind: "or", children })),
  ),
})).node;

const quote = (value: string): string => `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;

function print(node: QueryNode): string {
  switch (node.kind) {
    case "and":
      return node.children.map((child) => `(${print(child)})`).join(" ");
    case "or":
      return node.children.map((child) => `(${print(child)})`).join(" OR ");
    case "not":
      return `-(${print(node.child)})`;
    case "term":
      return `${node.field}:${node.prefix ? `${node.value}*` : quote(node.value)}`;
    case "ip":
      return `ip:${node.range.text}`;
    case "created": {
      const end = node.to === null ? "*" : new Date(Date.parse(node.to) - 1).toISOString();
      return `created:${node.from ?? "*"}..${end}`;
    }
    case "text":
      return node.phrase ? quote(node.text) : node.text;
  }
}

/** What the parser's simplification makes of a tree. */
function simplify(node: QueryNode): QueryNode {
  switch (node.kind) {
    case "and":
    case "or": {
      const children = node.children
        .map(simplify)
        .flatMap((child) => (child.kind === node.kind ? child.children : [child]));
      return { kind: node.kind, children };
    }
    case "not": {
      const child = simplify(node.child);
      return child.kind === "not" ? child.child : { kind: "not", child };
    }
    default:
      return node;
  }
}

function leaves(node: QueryNode): number {
  if (node.kind === "and" || node.kind === "or") return node.children.reduce((sum, c) => sum + leaves(c), 0);
  return node.kind === "not" ? leaves(node.child) : 1;
}

describe("parseAuditQuery round trip", () => {
  it("parses a printed tree back to the simplified tree", () => {
    fc.assert(
      fc.property(tree, (node) => {
        const text = print(node);
        fc.pre(text.length <= auditQueryLimits.maxLength && leaves(node) <= auditQueryLimits.maxLeaves);
        expect(parseAuditQuery(text)).toEqual(simplify(node));
        // The same tree through the JSON form's q.
        expect(parseAuditQuery(JSON.stringify({ q: text }))).toEqual(simplify(node));
      }),
      { numRuns: 2000 },
    );
  });
});
