import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { auditCategories } from "../audit-event.ts";
import { AuditQueryError, type QueryNode, type TermField } from "./audit-query.ts";
import { auditQueryJsonKeys, auditQueryQualifiers, parseAuditQuery } from "./parse-audit-query.ts";

const term = (field: TermField, value: string, prefix = false): QueryNode => ({
  kind: "term",
  field,
  value,
  prefix,
});
const text = (value: string, phrase = false): QueryNode => ({ kind: "text", text: value, phrase });
const and = (...children: QueryNode[]): QueryNode => ({ kind: "and", children });
const or = (...children: QueryNode[]): QueryNode => ({ kind: "or", children });
const not = (child: QueryNode): QueryNode => ({ kind: "not", child });
const created = (from: string | null, to: string | null): QueryNode => ({ kind: "created", from, to });
const MAPPED = "00000000000000000000ffff";
const ip = (first: string, last: string, normalised: string, exact: string | null): QueryNode => ({
  kind: "ip",
  range: { first, last, text: normalised },
  exact,
});

function errorOf(query: string): AuditQueryError {
  try {
    parseAuditQuery(query);
  } catch (error) {
    if (error instanceof AuditQueryError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(query)} to fail`);
}

type Case = readonly [query: string, expected: QueryNode | null];
type Failure = readonly [query: string, position: number, message: string];

function expectParses(cases: readonly Case[]): void {
  it.each(cases)("%j", (query, expected) => {
    expect(parseAuditQuery(query)).toEqual(expected);
  });
}

function expectFailures(cases: readonly Failure[]): void {
  it.each(cases)("%j fails at %i", (query, position, message) => {
    const error = errorOf(query);
    expect(error).toBeInstanceOf(AuditQueryError);
    expect(error.name).toBe("AuditQueryError");
    expect(error.message).toContain(message);
    expect(error.message).toContain(`at position ${position}`);
    expect(error.position).toBe(position);
  });
}

describe("parseAuditQuery: empty queries match everything", () => {
  expectParses([
    ["", null],
    [" ", null],
    ["\t  \t", null],
    // Any Unicode white space: an ideographic and a no-break space are spaces too.
    ["\u3000", null],
    ["\u00a0 \u2003", null],
    ["{}", null],
    [" { } ", null],
    ['{"q":""}', null],
    ['{"q":["", "a"]}', null],
  ]);
});

describe("parseAuditQuery: qualifiers", () => {
  expectParses([
    ["event:token", term("event", "token")],
    ["event:package_access", term("event", "package_access")],
    ["action:login_failed", term("action", "login_failed")],
    ["actor:pb_Ab3d…x9Yz", term("user", "pb_Ab3d…x9Yz")],
    ["user:console", term("user", "console")],
    ["token:pb_abcd…wxyz", term("token", "pb_abcd…wxyz")],
    ["token:01KB3V9Q8G7J5YF3Q2M1T6W0XZ", term("token", "01KB3V9Q8G7J5YF3Q2M1T6W0XZ")],
    ["package:acme/widgets", term("package", "acme/widgets")],
    ["version:1.2.0.0", term("version", "1.2.0.0")],
    ["version:dev-main", term("version", "dev-main")],
    ["repository:acme/widgets", term("repository", "acme/widgets")],
    [
      "repository:https://github.com/acme/widgets.git",
      term("repository", "https://github.com/acme/widgets.git"),
    ],
    ["severity:info", term("severity", "info")],
    ["severity:warning", term("severity", "warning")],
    ["severity:error", term("severity", "error")],
    ["outcome:success", term("outcome", "success")],
    ["outcome:failure", term("outcome", "failure")],
    ["outcome:denied", term("outcome", "denied")],
    ["request:req_01KB3V9Q8D", term("request", "req_01KB3V9Q8D")],
    ["request:a:b:c", term("request", "a:b:c")],
    // Names are case-insensitive; values keep their case.
    ["ACTOR:Bob", term("user", "Bob")],
    ["Package:Acme/Widgets", term("package", "Acme/Widgets")],
    ["EVENT:token", term("event", "token")],
    ['actor:"some value"', term("user", "some value")],
    ['actor:"say \\"hi\\""', term("user", 'say "hi"')],
    ['actor:"back\\\\slash"', term("user", "back\\slash")],
    ['actor:"(x OR y)"', term("user", "(x OR y)")],
    ['event:"token"', term("event", "token")],
    ["package:ünïcödé/☕", term("package", "ünïcödé/☕")],
  ]);

  it.each(auditCategories)("event:%s", (category) => {
    expect(parseAuditQuery(`event:${category}`)).toEqual(term("event", category));
  });

  expectFailures([
    [
      "event:nope",
      6,
      'unknown event category "nope" at position 6; expected one of authentication, package_access',
    ],
    ["event:Token", 6, 'unknown event category "Token"'],
    ["severity:fatal", 9, 'unknown severity "fatal" at position 9; expected one of info, warning, error'],
    ["outcome:ok", 8, 'unknown outcome "ok" at position 8; expected one of success, failure, denied'],
    [
      "abcd foo:bar",
      5,
      'unknown qualifier "foo" at position 5; known: event, action, actor, user, ip, token',
    ],
    ["mailto:me@example.com", 0, "put it in double quotes"],
    ["actor:", 6, "missing value after actor: at position 6"],
    ["actor: bob", 6, "missing value after actor:"],
    ["ACTOR:", 6, "missing value after actor:"],
    ["actor:(a OR b)", 6, "write (actor:a OR actor:b)"],
    ['actor:""', 6, "empty value for actor: at position 6"],
    ['actor:"  "', 6, "empty value for actor:"],
    ['actor:"x"y', 9, 'unexpected "y" after a closing quote at position 9'],
    ['actor:ab"cd"', 8, 'unexpected " at position 8'],
  ]);
});

describe("parseAuditQuery: prefix values", () => {
  expectParses([
    ["package:acme/*", term("package", "acme/", true)],
    ["actor:pb_*", term("user", "pb_", true)],
    ["user:sys*", term("user", "sys", true)],
    ["token:pb_Ab*", term("token", "pb_Ab", true)],
    ["version:1.2.*", term("version", "1.2.", true)],
    ["repository:acme/*", term("repository", "acme/", true)],
    ["request:req_01*", term("request", "req_01", true)],
    ["action:login*", term("action", "login", true)],
    ["action:token*", term("action", "token", true)],
    // Quoted, * is an ordinary character.
    ['package:"acme/*"', term("package", "acme/*")],
    ['package:"a*b"', term("package", "a*b")],
    ['action:"token.*"', and(term("event", "token"), term("action", "*"))],
  ]);

  expectFailures([
    ["event:tok*", 9, "event: does not take a prefix (*) at position 9"],
    ["severity:info*", 13, "severity: does not take a prefix"],
    ["outcome:s*", 9, "outcome: does not take a prefix"],
    ["ip:10.*", 6, "ip: does not take a prefix (*) at position 6; write a CIDR block"],
    ["package:*", 8, "a prefix needs at least one character before *"],
    ["package:a*b", 9, "* is only allowed at the end of a value"],
    ["package:a**", 9, "* is only allowed at the end"],
    ["package:*a", 8, "* is only allowed at the end"],
  ]);
});

describe("parseAuditQuery: action", () => {
  expectParses([
    ["action:token", term("event", "token")],
    ["action:package_access", term("event", "package_access")],
    ["action:token.created", and(term("event", "token"), term("action", "created"))],
    [
      "action:authentication.token_expired",
      and(term("event", "authentication"), term("action", "token_expired")),
    ],
    ["action:token.*", term("event", "token")],
    ["action:token.cre*", and(term("event", "token"), term("action", "cre", true))],
    ["action:login_failed", term("action", "login_failed")],
    ["action:download", term("action", "download")],
    ["action:token.a.b", and(term("event", "token"), term("action", "a.b"))],
    ["-action:token.created", not(and(term("event", "token"), term("action", "created")))],
    ["event:token action:created", and(term("event", "token"), term("action", "created"))],
  ]);

  expectFailures([
    ["action:foo.bar", 7, 'unknown event category "foo" in action at position 7'],
    ["x action:Token.created", 9, 'unknown event category "Token"'],
    ["action:.created", 7, 'unknown event category ""'],
    ["action:token.", 13, 'missing action name after "token." at position 13; write action:token.*'],
    ["action:foo.*", 7, 'unknown event category "foo"'],
  ]);
});

describe("parseAuditQuery: ip", () => {
  expectParses([
    ["ip:203.0.113.7", ip(`${MAPPED}cb007107`, `${MAPPED}cb007107`, "203.0.113.7", "203.0.113.7")],
    ["ip:203.0.113.0/24", ip(`${MAPPED}cb007100`, `${MAPPED}cb0071ff`, "203.0.113.0/24", null)],
    ["ip:0.0.0.0/0", ip(`${MAPPED}00000000`, `${MAPPED}ffffffff`, "0.0.0.0/0", null)],
    ["ip:203.0.113.7/32", ip(`${MAPPED}cb007107`, `${MAPPED}cb007107`, "203.0.113.7/32", null)],
    ["ip:::ffff:203.0.113.7", ip(`${MAPPED}cb007107`, `${MAPPED}cb007107`, "203.0.113.7", "203.0.113.7")],
    [
      "ip:2001:db8::/32",
      ip("20010db8000000000000000000000000", "20010db8ffffffffffffffffffffffff", "2001:db8::/32", null),
    ],
    [
      "ip:2001:DB8:0:0:0:0:0:1",
      ip(
        "20010db8000000000000000000000001",
        "20010db8000000000000000000000001",
        "2001:db8::1",
        "2001:db8::1",
      ),
    ],
    [
      "ip:2001:db8::/127",
      ip("20010db8000000000000000000000000", "20010db8000000000000000000000001", "2001:db8::/127", null),
    ],
    [
      "ip:2001:db8::1/128",
      ip("20010db8000000000000000000000001", "20010db8000000000000000000000001", "2001:db8::1/128", null),
    ],
    ["ip:::/0", ip("0".repeat(32), "f".repeat(32), "::/0", null)],
    ['ip:"192.0.2.1"', ip(`${MAPPED}c0000201`, `${MAPPED}c0000201`, "192.0.2.1", "192.0.2.1")],
    ["-ip:10.0.0.0/8", not(ip(`${MAPPED}0a000000`, `${MAPPED}0affffff`, "10.0.0.0/8", null))],
  ]);

  expectFailures([
    ["ip:203.0.113.5/24", 3, "host bits set in 203.0.113.5/24 at position 3; did you mean 203.0.113.0/24?"],
    ["ip:2001:db8::1/32", 3, "did you mean 2001:db8::/32?"],
    ["ip:1.2.3.4/33", 11, 'invalid prefix length "33" at position 11'],
    ["ip:::/129", 6, "an IPv6 block takes /0 to /128"],
    ["ip:1.2.3", 3, 'invalid IP address "1.2.3" at position 3'],
    ["ip:01.2.3.4", 3, "invalid IP address"],
    ["ip:hmac:ab12", 3, "invalid IP address"],
    ["ip:fe80::1%eth0", 10, "IPv6 zone ids are not supported at position 10"],
    ['ip:"1.2.3.4/40"', 12, "invalid prefix length"],
  ]);
});

describe("parseAuditQuery: created", () => {
  expectParses([
    ["created:2026-01-01", created("2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z")],
    ["created:>=2026-01-01", created("2026-01-01T00:00:00.000Z", null)],
    ["created:>2026-01-01", created("2026-01-02T00:00:00.000Z", null)],
    ["created:<=2026-01-31", created(null, "2026-02-01T00:00:00.000Z")],
    ["created:<2026-01-31", created(null, "2026-01-31T00:00:00.000Z")],
    ["created:>2026-12-31", created("2027-01-01T00:00:00.000Z", null)],
    ["created:<=2024-02-28", created(null, "2024-02-29T00:00:00.000Z")],
    ["created:2024-02-29", created("2024-02-29T00:00:00.000Z", "2024-03-01T00:00:00.000Z")],
    ["created:2000-02-29", created("2000-02-29T00:00:00.000Z", "2000-03-01T00:00:00.000Z")],
    ["created:2026-01-01..2026-01-31", created("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z")],
    ["created:2026-01-01..2026-01-01", created("2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z")],
    ["created:2026-01-01..*", created("2026-01-01T00:00:00.000Z", null)],
    ["created:*..2026-01-31", created(null, "2026-02-01T00:00:00.000Z")],
    ["created:*..*", created(null, null)],
    ["created:>=2026-01-01T10:00:00Z", created("2026-01-01T10:00:00.000Z", null)],
    ["created:>2026-01-01T10:00:00Z", created("2026-01-01T10:00:00.001Z", null)],
    ["created:<=2026-01-01T10:00:00Z", created(null, "2026-01-01T10:00:00.001Z")],
    ["created:<2026-01-01T10:00:00Z", created(null, "2026-01-01T10:00:00.000Z")],
    ["created:<=2026-01-01T23:59:59.999Z", created(null, "2026-01-02T00:00:00.000Z")],
    ["created:2026-01-01T10:00:00Z", created("2026-01-01T10:00:00.000Z", "2026-01-01T10:00:00.001Z")],
    ["created:2026-01-01T10:00:00.5Z", created("2026-01-01T10:00:00.500Z", "2026-01-01T10:00:00.501Z")],
    ["created:>=2026-01-01T10:00:00.12Z", created("2026-01-01T10:00:00.120Z", null)],
    ["created:>=2026-01-01T10:00:00.123Z", created("2026-01-01T10:00:00.123Z", null)],
    ["created:>=2026-01-01t10:00:00z", created("2026-01-01T10:00:00.000Z", null)],
    ["created:>=2026-01-01T10:00:00+02:00", created("2026-01-01T08:00:00.000Z", null)],
    ["created:>=2026-01-01T10:00:00-05:30", created("2026-01-01T15:30:00.000Z", null)],
    ["created:>=2026-01-01T00:30:00+01:00", created("2025-12-31T23:30:00.000Z", null)],
    ["created:>=2026-01-01T10:00:00+00:00", created("2026-01-01T10:00:00.000Z", null)],
    [
      "created:2026-01-01T10:00:00Z..2026-01-02",
      created("2026-01-01T10:00:00.000Z", "2026-01-03T00:00:00.000Z"),
    ],
    [
      "created:2026-01-01..2026-01-01T12:00:00.250Z",
      created("2026-01-01T00:00:00.000Z", "2026-01-01T12:00:00.251Z"),
    ],
    ['created:">=2026-01-01"', created("2026-01-01T00:00:00.000Z", null)],
    ["created:0000-01-01", created("0000-01-01T00:00:00.000Z", "0000-01-02T00:00:00.000Z")],
    ["created:<0000-01-01", created(null, "0000-01-01T00:00:00.000Z")],
    // Nothing is after 9999-12-31, so that end is open.
    ["created:<=9999-12-31", created(null, null)],
    ["created:9999-12-31", created("9999-12-31T00:00:00.000Z", null)],
    ["-created:<2026-01-01", not(created(null, "2026-01-01T00:00:00.000Z"))],
    // A space ends the value: the time is free text (write 2026-01-01T10:00:00Z).
    [
      "created:2026-01-01 10:00:00Z",
      and(created("2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"), text("10:00:00Z")),
    ],
  ]);

  expectFailures([
    ["created:2026-02-30", 8, 'invalid date "2026-02-30" at position 8'],
    ["created:2023-02-29", 8, 'invalid date "2023-02-29"'],
    ["created:1900-02-29", 8, 'invalid date "1900-02-29"'],
    ["created:2026-13-01", 8, "invalid date"],
    ["created:2026-00-10", 8, "invalid date"],
    ["created:2026-01-00", 8, "invalid date"],
    ["created:2026-04-31", 8, "invalid date"],
    ["created:2026-1-1", 8, "write YYYY-MM-DD"],
    ["created:26-01-01", 8, "invalid date"],
    ["created:yesterday", 8, 'invalid date "yesterday"'],
    ["created:*", 8, 'invalid date "*"'],
    ["created:>=*", 10, 'invalid date "*"'],
    ["created:>", 9, 'invalid date ""'],
    ["created:=2026-01-01", 8, "invalid date"],
    ["created:>==2026-01-01", 10, "invalid date"],
    ["created:2026-01-01T10:00:00", 8, 'time without a time zone "2026-01-01T10:00:00" at position 8; add Z'],
    ["created:>=2026-01-01T10:00:00", 10, "time without a time zone"],
    ["created:2026-01-01T24:00:00Z", 8, "invalid date"],
    ["created:2026-01-01T10:60:00Z", 8, "invalid date"],
    ["created:2026-01-01T10:00:60Z", 8, "invalid date"],
    ["created:2026-01-01T10:00Z", 8, "invalid date"],
    ["created:2026-01-01T10:00:00.1234Z", 8, "invalid date"],
    ["created:2026-01-01T10:00:00.Z", 8, "invalid date"],
    ["created:2026-01-01T10:00:00+24:00", 8, 'invalid time zone offset "+24:00"'],
    ["created:2026-01-01T10:00:00+02:60", 8, "invalid time zone offset"],
    ["created:2026-01-01T10:00:00+0200", 8, "invalid date"],
    ["created:2026-01-02..2026-01-01", 8, 'empty date range "2026-01-02..2026-01-01" at position 8'],
    ["created:2026-01-01T10:00:00Z..2026-01-01T09:59:59.999Z", 8, "empty date range"],
    ["created:>=2026-01-01..2026-01-02", 8, "a date range takes no operator"],
    ["created:2026-01-01..", 20, "missing end of date range at position 20; write * for an open end"],
    ["created:..2026-01-01", 8, "missing start of date range"],
    ["created:..", 8, "missing start of date range"],
    ["created:2026-01-01..2026-01-02..2026-01-03", 30, "a date range has one .."],
    ["created:2026-01-01..2026-02-30", 20, 'invalid date "2026-02-30" at position 20'],
    ["created:*..2026-02-30", 11, 'invalid date "2026-02-30"'],
    ["created:>9999-12-31", 8, "date out of range"],
    ["created:>=9999-12-31T23:59:59.999-01:00", 8, "date out of range"],
    ["created:0000-01-01T00:30:00+01:00", 8, "date out of range"],
    ['created:"2026-02-30"', 9, 'invalid date "2026-02-30" at position 9'],
  ]);
});

describe("parseAuditQuery: free text", () => {
  expectParses([
    ["login", text("login")],
    ["acme/widgets", text("acme/widgets")],
    ['"foo bar"', text("foo bar", true)],
    ['"say \\"hi\\""', text('say "hi"', true)],
    ['"a\\\\b"', text("a\\b", true)],
    ['"tab\tinside"', text("tab\tinside", true)],
    ['"OR"', text("OR", true)],
    ['"foo:bar"', text("foo:bar", true)],
    ['"(not a group)"', text("(not a group)", true)],
    ["café ☕", and(text("café"), text("☕"))],
    ["foo\u3000bar", and(text("foo"), text("bar"))],
    ["or and not", and(text("or"), text("and"), text("not"))],
    ["NOT a", and(text("NOT"), text("a"))],
    ["foo-bar", text("foo-bar")],
    ["a*", text("a*")],
    ["12:30", text("12:30")],
    ["2001:db8::1", text("2001:db8::1")],
    ["fe80::1", text("fe80::1")],
    ["::1", text("::1")],
    [":foo", text(":foo")],
    ["a-b:c", text("a-b:c")],
    ["https://example.com/p?x=1&y=2", text("https://example.com/p?x=1&y=2")],
    ["http://user:pw@host:8080/x", text("http://user:pw@host:8080/x")],
    ["ftp://files", text("ftp://files")],
    [
      "event:package_access https://repo.example/dists/acme",
      and(term("event", "package_access"), text("https://repo.example/dists/acme")),
    ],
  ]);

  expectFailures([
    ['""', 0, "empty phrase at position 0"],
    ['a "  "', 2, "empty phrase"],
    ['a "\u3000"', 2, "empty phrase"],
    ['"abc', 0, "unterminated quote opened at position 0"],
    ['action:created "unterminated', 15, "unterminated quote opened at position 15"],
    ['actor:"x', 6, "unterminated quote opened at position 6"],
    ['"a\\"', 0, "unterminated quote"],
    ['"a\\', 0, "unterminated quote"],
    ['"a\\nb"', 2, "unknown escape \\n at position 2"],
    ['"a"b', 3, 'unexpected "b" after a closing quote'],
    ['"a""b"', 3, "after a closing quote"],
    ['ab"cd"', 2, 'unexpected " at position 2'],
    ['OR"x"', 2, 'unexpected "'],
  ]);
});

describe("parseAuditQuery: AND, OR, parentheses, negation", () => {
  const [a, b, c, d] = ["a", "b", "c", "d"].map((word) => text(word)) as [
    QueryNode,
    QueryNode,
    QueryNode,
    QueryNode,
  ];
  expectParses([
    ["a b", and(a, b)],
    ["a AND b", and(a, b)],
    ["a\tb", and(a, b)],
    ["  a   b  ", and(a, b)],
    ["a OR b", or(a, b)],
    ["a b OR c", or(and(a, b), c)],
    ["a OR b c", or(a, and(b, c))],
    ["a OR b AND c", or(a, and(b, c))],
    ["a AND b OR c AND d", or(and(a, b), and(c, d))],
    ["(a OR b) c", and(or(a, b), c)],
    ["a (b OR c) d", and(a, or(b, c), d)],
    ["a (b c)", and(a, b, c)],
    ["(a b) (c d)", and(a, b, c, d)],
    ["a OR (b OR c)", or(a, b, c)],
    ["(a OR b) OR (c OR d)", or(a, b, c, d)],
    ["((a))", a],
    ["(((a OR b)))", or(a, b)],
    ["a OR(b)", or(a, b)],
    ["(a)OR(b)", or(a, b)],
    ["(a)(b)", and(a, b)],
    ["-a", not(a)],
    ["--a", a],
    ["---a", not(a)],
    ["-(-a)", a],
    ["-(a OR b)", not(or(a, b))],
    ["-(a b)", not(and(a, b))],
    ["a -b", and(a, not(b))],
    ["-a -b", and(not(a), not(b))],
    ["-a OR -b", or(not(a), not(b))],
    ['-"foo bar"', not(text("foo bar", true))],
    ["-actor:bot", not(term("user", "bot"))],
    ["-event:system actor:pb_*", and(not(term("event", "system")), term("user", "pb_", true))],
    [
      "event:authentication (action:token_expired OR action:token_revoked) -actor:anonymous",
      and(
        term("event", "authentication"),
        or(term("action", "token_expired"), term("action", "token_revoked")),
        not(term("user", "anonymous")),
      ),
    ],
    [
      'package:acme/* outcome:denied OR "scope_denied"',
      or(and(term("package", "acme/", true), term("outcome", "denied")), text("scope_denied", true)),
    ],
  ]);

  expectFailures([
    ["-", 0, "- must be followed by a term at position 0"],
    ["a -", 2, "- must be followed by a term"],
    ["- a", 0, "- must be followed by a term"],
    ["(-)", 1, "- must be followed by a term"],
    ["-OR a", 0, "- must be followed by a term"],
    ["a -AND b", 2, "- must be followed by a term"],
    ["OR a", 0, "OR needs a term before it at position 0"],
    ["a OR", 2, "OR needs a term after it at position 2"],
    ["a OR OR b", 2, "OR needs a term after it"],
    ["a OR AND b", 2, "OR needs a term after it"],
    ["(OR a)", 1, "OR needs a term before it"],
    ["(a OR)", 3, "OR needs a term after it"],
    ["AND a", 0, "AND needs a term before it"],
    ["a AND", 2, "AND needs a term after it"],
    ["a AND AND b", 2, "AND needs a term after it"],
    ["a AND OR b", 2, "AND needs a term after it"],
    ["OR", 0, "OR needs a term before it"],
    ["(", 0, "unclosed parenthesis opened at position 0"],
    ["(a", 0, "unclosed parenthesis opened at position 0"],
    ["a (b", 2, "unclosed parenthesis opened at position 2"],
    ["((a)", 0, "unclosed parenthesis"],
    ["(a (b)", 0, "unclosed parenthesis"],
    [")", 0, "unmatched ) at position 0"],
    ["a)", 1, "unmatched )"],
    ["(a))", 3, "unmatched )"],
    ["(a)) OR (b", 3, "unmatched )"],
    ["()", 0, "empty parentheses at position 0"],
    ["( )", 0, "empty parentheses"],
    ["a ()", 2, "empty parentheses"],
    ["-()", 1, "empty parentheses"],
  ]);
});

describe("parseAuditQuery: limits and hostile input", () => {
  it("accepts 2,000 characters and refuses 2,001", () => {
    const longest = `"${"x".repeat(1998)}"`;
    expect(parseAuditQuery(longest)).toEqual(text("x".repeat(1998), true));
    const error = errorOf(`${longest} `);
    expect(error.position).toBe(2000);
    expect(error.message).toBe("query too long (2001 characters) at position 2000; at most 2000");
    expect(errorOf(`{"q":"${"x".repeat(2000)}"}`).position).toBe(2000);
  });

  it("accepts 64 leaves and refuses the 65th, where it is", () => {
    const words = Array.from({ length: 65 }, (_, i) => `w${i}`);
    expect(parseAuditQuery(words.slice(0, 64).join(" "))).toMatchObject({ kind: "and" });
    const query = words.join(" ");
    const error = errorOf(query);
    expect(error.position).toBe(query.indexOf("w64"));
    expect(error.message).toContain("too many terms at position");
    // action:category.name is two leaves.
    expect(parseAuditQuery(Array(32).fill("action:token.created").join(" OR "))).toMatchObject({
      kind: "or",
    });
    const actions = `${Array(32).fill("action:token.created").join(" OR ")} OR action:user.created`;
    expect(errorOf(actions).position).toBe(actions.lastIndexOf("action:"));
    // The JSON form and its q share one budget.
    const json = JSON.stringify({ user: words.slice(0, 60), q: "a b c d e" });
    expect(errorOf(json).position).toBe(json.indexOf(" e") + 1);
  });

  it("accepts 16 levels of nesting and refuses the 17th", () => {
    expect(parseAuditQuery(`${"(".repeat(16)}a${")".repeat(16)}`)).toEqual(text("a"));
    expect(errorOf(`${"(".repeat(17)}a${")".repeat(17)}`).position).toBe(16);
    expect(parseAuditQuery(`${"-".repeat(16)}a`)).toEqual(text("a"));
    expect(errorOf(`${"-".repeat(17)}a`).position).toBe(16);
    expect(parseAuditQuery(`${"-(".repeat(8)}a${")".repeat(8)}`)).toEqual(text("a"));
    const mixed = `${"-(".repeat(8)}-a${")".repeat(8)}`;
    expect(errorOf(mixed).position).toBe(16);
    expect(errorOf(mixed).message).toContain("query nested too deeply at position 16; at most 16 levels");
    // Siblings do not add up: depth is nesting, not count.
    expect(() => parseAuditQuery(Array(30).fill("(-a)").join(" "))).not.toThrow();
  });

  expectFailures([
    ["a\nb", 1, "control character U+000A not allowed at position 1"],
    ["a\rb", 1, "control character U+000D"],
    ["\u0000", 0, "control character U+0000"],
    ['"a\u0007"', 2, "control character U+0007"],
    ["x\u007f", 1, "control character U+007F"],
    ["x\u0085", 1, "control character U+0085"],
    ["\u001b[31mred", 0, "control character U+001B"],
    ["\n", 0, "control character U+000A"],
    ["a \ud800", 2, "unpaired UTF-16 surrogate at position 2"],
    ["a \udc00\ud800", 2, "unpaired UTF-16 surrogate"],
    ["a \ud83d\ude00 \ud800", 5, "unpaired UTF-16 surrogate"],
  ]);

  it("accepts surrogate pairs", () => {
    expect(parseAuditQuery("package:😀/x")).toEqual(term("package", "😀/x"));
  });

  it("quotes long values in messages only in part", () => {
    const error = errorOf(`event:${"x".repeat(500)}`);
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toContain("…");
  });
});

describe("parseAuditQuery: JSON filter form", () => {
  expectParses([
    [
      '{"event":"authentication","action":"login_failed"}',
      and(term("event", "authentication"), term("action", "login_failed")),
    ],
    [
      '{"event":"package_access","action":"download","user":"pb_Ab3d…x9Yz"}',
      and(term("event", "package_access"), term("action", "download"), term("user", "pb_Ab3d…x9Yz")),
    ],
    ['{"event":"configuration"}', term("event", "configuration")],
    ['  {"event":"token"}  ', term("event", "token")],
    [
      '\n{\n  "event": "token",\r\n  "actor": "console"\n}\n',
      and(term("event", "token"), term("user", "console")),
    ],
    ['{"event":["token","user"]}', or(term("event", "token"), term("event", "user"))],
    ['{"event":["token"]}', term("event", "token")],
    ['{"action":"token.created"}', and(term("event", "token"), term("action", "created"))],
    ['{"action":"token.*"}', term("event", "token")],
    ['{"action":"token"}', term("action", "token")],
    ['{"action":"login*"}', term("action", "login", true)],
    [
      '{"event":"token","action":"token.created"}',
      and(term("event", "token"), term("action", "token.created")),
    ],
    [
      '{"action":"token.created","event":"token"}',
      and(term("action", "token.created"), term("event", "token")),
    ],
    [
      '{"action":["token.created","user.deleted"]}',
      or(
        and(term("event", "token"), term("action", "created")),
        and(term("event", "user"), term("action", "deleted")),
      ),
    ],
    ['{"user":"a b (c)"}', term("user", "a b (c)")],
    ['{"package":"acme/*"}', term("package", "acme/", true)],
    [
      '{"token":"pb_abcd…wxyz","version":"1.0.0.0"}',
      and(term("token", "pb_abcd…wxyz"), term("version", "1.0.0.0")),
    ],
    ['{"repository":"acme/widgets"}', term("repository", "acme/widgets")],
    ['{"severity":"error","outcome":"failure"}', and(term("severity", "error"), term("outcome", "failure"))],
    ['{"request":"req_1"}', term("request", "req_1")],
    ['{"request_id":"req_1"}', term("request", "req_1")],
    [
      '{"ip":["203.0.113.0/24","2001:db8::1"]}',
      or(
        ip(`${MAPPED}cb007100`, `${MAPPED}cb0071ff`, "203.0.113.0/24", null),
        ip(
          "20010db8000000000000000000000001",
          "20010db8000000000000000000000001",
          "2001:db8::1",
          "2001:db8::1",
        ),
      ),
    ],
    ['{"created":">=2026-01-01"}', created("2026-01-01T00:00:00.000Z", null)],
    ['{"created":"2026-01-01..2026-01-31"}', created("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z")],
    ['{"text":"acme widgets"}', text("acme widgets", true)],
    ['{"text":["a","b"]}', or(text("a", true), text("b", true))],
    ['{"q":"a OR b","event":"token"}', and(or(text("a"), text("b")), term("event", "token"))],
    [
      '{"event":"token","q":"-actor:bot x"}',
      and(term("event", "token"), not(term("user", "bot")), text("x")),
    ],
    ['{"q":["a","b c"]}', or(text("a"), and(text("b"), text("c")))],
    ['{"\\u0065vent":"token"}', term("event", "token")],
    ['{"user":"\\u00e9\\ud83d\\ude00"}', term("user", "é😀")],
    ['{"user":"a\\tb"}', term("user", "a\tb")],
  ]);

  expectFailures([
    ['{"foo":"bar"}', 1, 'unknown key "foo" at position 1; known: event, action'],
    ['{"event":"token", "Event":"user"}', 18, 'unknown key "Event"'],
    ['{"event":"token","event":"user"}', 17, 'duplicate key "event" at position 17'],
    ['{"user":12}', 8, '"user" takes a string or a non-empty array of strings, not a number at position 8'],
    ['{"user":true}', 8, "not a boolean"],
    ['{"user":null}', 8, "not null"],
    ['{"user":{"id":"x"}}', 8, "not an object"],
    ['{"user":[]}', 8, "not an empty array"],
    ['{"user":["a",1]}', 13, "not a number"],
    ['{"user":["a",["b"]]}', 13, "not an array"],
    ['{"user":"a","x":{"y":[1,{"z":"}"}]}}', 12, 'unknown key "x"'],
    ['{"user":""}', 8, 'empty value for "user" at position 8'],
    ['{"text":" "}', 8, 'empty value for "text"'],
    ['{"event":"nope"}', 10, 'unknown event category "nope" at position 10'],
    ['{"event":["token","nope"]}', 19, 'unknown event category "nope"'],
    ['{"action":"foo.bar"}', 11, 'unknown event category "foo" in action'],
    ['{"ip":"203.0.113.5/24"}', 7, "did you mean 203.0.113.0/24?"],
    ['{"ip":"\\u0031.2.3.4/99"}', 20, "invalid prefix length"],
    ['{"created":"2026-02-30"}', 12, 'invalid date "2026-02-30" at position 12'],
    ['{"package":"a*b"}', 13, "* is only allowed at the end"],
    ['{"q":"foo:bar"}', 6, 'unknown qualifier "foo" at position 6'],
    ['{"q":"a \\"b"}', 8, "unterminated quote opened at position 8"],
    ['{"q":"(a"}', 6, "unclosed parenthesis"],
    ['{"q":"a OR"}', 8, "OR needs a term after it"],
    ['{"q":"\\u0041 \\u0028"}', 13, "unclosed parenthesis opened at position 13"],
    ['{"user":"a\\u0000"}', 10, "control character U+0000 not allowed at position 10"],
    ['{"q":"a\\nb"}', 7, "control character U+000A"],
    ['{"user":"\\ud800"}', 9, "unpaired UTF-16 surrogate"],
    ["{", 1, "invalid JSON at position 1"],
    ['{"event":"token"', 16, "invalid JSON"],
    ['{"event":"token"} x', 18, "invalid JSON at position 18"],
    ['{"event":"token",}', 17, "invalid JSON"],
    ['{"a":\u0001}', 5, "control character U+0001"],
    ['{"event":x}', 0, "invalid JSON"],
    ["{not-json", 1, "invalid JSON at position 1"],
  ]);
});

describe("docs/audit-search.md", () => {
  it("documents every qualifier, JSON key, category and limit", () => {
    const docs = readFileSync(new URL("../../../docs/audit-search.md", import.meta.url), "utf8");
    for (const qualifier of auditQueryQualifiers) expect(docs).toContain(`\`${qualifier}:`);
    for (const key of auditQueryJsonKeys) expect(docs).toContain(`\`${key}\``);
    for (const category of auditCategories) expect(docs).toContain(`\`${category}\``);
    expect(docs).toContain("2,000");
    expect(docs).toContain("64");
    expect(docs).toContain("16");
  });
});
