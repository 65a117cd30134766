import { describe, expect, it } from "vitest";
import type { AlertRuleProblem } from "./alert-rules-invalid.ts";
import { isInvalidAlertRules } from "./alert-rules-invalid.ts";
import { defaultAlertRulesYaml } from "./default-alert-rules.ts";
import { parseAlertRules } from "./parse-alert-rules.ts";

const base = (name: string, idDigit: string, body: string): string =>
  `title: ${name} title\nid: ${idDigit.repeat(8)}-1111-4111-8111-111111111111\nname: ${name}\nlogsource:\n  product: package-broker\n  service: audit\n${body}`;
const selection = "detection:\n  selection:\n    action: login_failed\n  condition: selection\n";
const correlation = (name: string, idDigit: string, body: string): string =>
  `title: ${name} title\nid: ${idDigit.repeat(8)}-1111-4111-8111-111111111111\nname: ${name}\ncorrelation:\n${body}`;

function problemsOf(text: string): AlertRuleProblem[] {
  try {
    parseAlertRules(text);
  } catch (error) {
    if (!isInvalidAlertRules(error)) throw error;
    return error.extensions.problems as AlertRuleProblem[];
  }
  throw new Error("the rules were accepted");
}

describe("parseAlertRules", () => {
  it("parses the default rules", () => {
    const rules = parseAlertRules(defaultAlertRulesYaml);
    expect(rules.length).toBeGreaterThanOrEqual(12);
    expect(new Set(rules.map((rule) => rule.id)).size).toBe(rules.length);
  });

  it("resolves correlation references by name or id, and applies defaults", () => {
    const text = [
      base("a", "a", selection),
      correlation(
        "c",
        "c",
        "  type: event_count\n  rules: [AAAAAAAA-1111-4111-8111-111111111111]\n  timespan: 10m\n  condition: {gt: 4}",
      ),
    ].join("---\n");
    const [rule, corr] = parseAlertRules(text);
    expect(rule).toMatchObject({ kind: "base", level: "medium", status: "experimental" });
    expect(corr).toMatchObject({
      kind: "correlation",
      correlation: { rules: [rule?.id], timespanMs: 600_000, threshold: 5, groupBy: [], generate: false },
    });
  });

  it("parses a file alongside rules parsed before: referencing them, replacing them by id", () => {
    const defaults = parseAlertRules(defaultAlertRulesYaml);
    const brute = defaults.find((rule) => rule.name === "pb_brute_force");
    const custom = [
      correlation(
        "pb_brute_force",
        "5",
        "  type: event_count\n  rules: [pb_login_failed]\n  timespan: 5m\n  condition: {gte: 5}",
      ).replace(/id: .*/, `id: ${brute?.id ?? ""}`),
      correlation(
        "spray_fast",
        "f",
        "  type: value_count\n  rules: [pb_login_failed]\n  timespan: 1m\n  condition: {field: target.id, gt: 5}",
      ),
    ].join("\n---\n");
    const merged = parseAlertRules(custom, { alongside: defaults });
    expect(merged).toHaveLength(defaults.length + 1);
    expect(merged.filter((rule) => rule.id === brute?.id)).toMatchObject([{ correlation: { threshold: 5 } }]);
    expect(problemsOf(custom)[0]?.message).toMatch(/no rule is named "pb_login_failed"/);
    const clash = base("pb_login_failed", "e", selection);
    expect(() => parseAlertRules(clash, { alongside: defaults })).toThrow(/used by another rule/);
  });

  it("skips empty documents and accepts an empty file", () => {
    expect(parseAlertRules("")).toEqual([]);
    expect(parseAlertRules(`---\n${base("a", "a", selection)}---\n`)).toHaveLength(1);
  });

  it("turns the response shorthand into an action on a field", () => {
    const [rule] = parseAlertRules(base("a", "a", `${selection}response: suspend-token\nsuppress: 2h\n`));
    expect(rule).toMatchObject({
      response: { action: "suspend-token", subject: "actor.id" },
      suppressMs: 7_200_000,
    });
  });
});

describe("parseAlertRules refuses, naming the rule, line and field", () => {
  it.each([
    [
      "an unknown field",
      base("a", "a", `${selection}severity: high\n`),
      { path: "severity", line: 11, message: /unknown field severity/ },
    ],
    ["a bad level", base("a", "a", `${selection}level: urgent\n`), { path: "level", line: 11 }],
    ["a bad id", base("a", "a", selection).replace(/id: .*/, "id: 42"), { path: "id", line: 2 }],
    [
      "another product",
      base("a", "a", selection).replace("package-broker", "windows"),
      { path: "logsource.product", line: 5 },
    ],
    [
      "an unknown modifier",
      base("a", "a", selection.replace("action:", "action|base64:")),
      { path: "detection.selection.action|base64", message: /unsupported modifier \|base64/ },
    ],
    [
      "a bad regex",
      base("a", "a", selection.replace("action: login_failed", "action|re: '(['")),
      { path: "detection.selection.action|re", message: /invalid regular expression/ },
    ],
    [
      "a bad CIDR",
      base("a", "a", selection.replace("action: login_failed", "ip_address|cidr: 10.0.0.1/8")),
      { message: /host bits set/ },
    ],
    [
      "a keyword search",
      base("a", "a", "detection:\n  keywords: [evil]\n  condition: keywords\n"),
      { path: "detection.keywords", message: /keyword searches/ },
    ],
    [
      "an unknown identifier",
      base("a", "a", selection.replace("condition: selection", "condition: selection and filter")),
      { path: "detection.condition", line: 10, message: /unknown search identifier "filter"/ },
    ],
    [
      "a broken condition",
      base("a", "a", selection.replace("condition: selection", "condition: (selection and")),
      { message: /unexpected end/ },
    ],
    [
      "a pattern matching nothing",
      base("a", "a", selection.replace("condition: selection", "condition: 1 of filter*")),
      { message: /matches no search identifier/ },
    ],
    ["a non-mapping document", "- just\n- a list\n", { document: 1, message: /a rule is a mapping/ }],
    ["a YAML syntax error", "title: [unclosed\n", { line: 2 }],
    ["a duplicate key", base("a", "a", selection) + "title: again\n", { message: /unique/i }],
  ])("%s", (_, text, expected) => {
    const [problem] = problemsOf(text);
    const { message, ...rest } = expected as { message?: RegExp } & Partial<AlertRuleProblem>;
    expect(problem).toMatchObject(rest);
    if (message !== undefined) expect(problem?.message).toMatch(message);
  });

  it.each([
    [
      "a bad timespan",
      "  type: event_count\n  rules: [a]\n  timespan: 10 minutes\n  condition: {gte: 2}",
      /invalid timespan/,
    ],
    [
      "a timespan over 30 days",
      "  type: event_count\n  rules: [a]\n  timespan: 31d\n  condition: {gte: 2}",
      /longer than the 30 days/,
    ],
    [
      "a month",
      "  type: event_count\n  rules: [a]\n  timespan: 1M\n  condition: {gte: 2}",
      /invalid timespan/,
    ],
    [
      "a huge threshold",
      "  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 1e300}",
      /too big/i,
    ],
    [
      "an lt condition",
      "  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {lt: 3}",
      /lt is not supported/,
    ],
    [
      "value_count without field",
      "  type: value_count\n  rules: [a]\n  timespan: 1h\n  condition: {gt: 3}",
      /condition\.field/,
    ],
    [
      "an unknown rule",
      "  type: event_count\n  rules: [nope]\n  timespan: 1h\n  condition: {gte: 2}",
      /no rule is named "nope"/,
    ],
    [
      "a self reference",
      "  type: event_count\n  rules: [c]\n  timespan: 1h\n  condition: {gte: 2}",
      /itself/,
    ],
    ["a one-rule sequence", "  type: temporal_ordered\n  rules: [a]\n  timespan: 1h", /at least two rules/],
    [
      "aliases",
      "  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 2}\n  aliases: {}",
      /unknown field aliases/,
    ],
  ])("a correlation with %s", (_, body, message) => {
    const problems = problemsOf(`${base("a", "a", selection)}---\n${correlation("c", "c", body)}`);
    expect(problems[0]).toMatchObject({ rule: "c", document: 2 });
    expect(problems[0]?.message).toMatch(message);
  });

  it("finds cycles between correlations", () => {
    const cycle = [
      base("a", "a", selection),
      correlation("x", "b", "  type: temporal\n  rules: [a, y]\n  timespan: 1h"),
      correlation("y", "c", "  type: temporal\n  rules: [a, x]\n  timespan: 1h"),
    ].join("\n---\n");
    expect(problemsOf(cycle).map((problem) => [problem.rule, problem.message])).toEqual([
      ["x", "correlation.rules: the rules reference each other in a cycle"],
      ["y", "correlation.rules: the rules reference each other in a cycle"],
    ]);
  });

  it("finds duplicate ids and names", () => {
    const problems = problemsOf([base("a", "a", selection), base("a", "a", selection)].join("---\n"));
    expect(problems.map((problem) => problem.document)).toEqual([2, 2]);
  });

  it("stops alias bombs", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
      "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]",
    ].join("\n");
    expect(problemsOf(bomb)[0]?.message).toMatch(/alias/i);
  });

  it("refuses oversized files and deep nesting without crashing", () => {
    expect(problemsOf("#".repeat(1_000_001))[0]?.message).toMatch(/longer than/);
    expect(problemsOf(`${"[".repeat(5000)}${"]".repeat(5000)}`)).not.toHaveLength(0);
    const deep = base(
      "a",
      "a",
      `detection:\n  selection: {action: x}\n  condition: ${"(".repeat(40)}selection${")".repeat(40)}\n`,
    );
    expect(problemsOf(deep)[0]?.message).toMatch(/nested deeper/);
  });

  it("reports every broken document, not only the first", () => {
    const problems = problemsOf(["title: 1\n", base("b", "b", selection), "42\n"].join("---\n"));
    expect(problems.map((problem) => problem.document)).toEqual(expect.arrayContaining([1, 3]));
  });
});
