import { isNode, LineCounter, parseAllDocuments, type Document } from "yaml";
import type { z } from "zod";
import type { AlertResponse, AlertRule } from "./alert-rule.ts";
import { baseRuleSchema, correlationRuleSchema, type BaseRuleDocument } from "./alert-rule-schema.ts";
import { alertRulesInvalid, RuleFieldError, type AlertRuleProblem } from "./alert-rules-invalid.ts";
import { parseCorrelation, resolveCorrelationReferences, type RuleDraft } from "./parse-correlation.ts";
import { isPlainObject, parseDetection } from "./parse-detection.ts";
import { parseTimespan } from "./parse-timespan.ts";

/** Limits on a rule file: hostile or mistaken input fails clearly instead of eating memory. */
export const MAX_RULE_FILE_CHARACTERS = 1_000_000;
export const MAX_RULES = 500;
const MAX_ALIASES = 100;

/** Where a document is, for problems. */
interface DocumentContext {
  readonly yaml: Document.Parsed;
  readonly number: number;
  readonly lines: LineCounter;
  rule: string | null;
}

/**
 * Parses a rule file: one or more YAML documents (`---` between them), each a Sigma base rule
 * (with `detection`) or a Sigma correlation rule (with `correlation`), as documented in
 * docs/alert-rules.md. Empty documents are skipped. Every problem in the file is collected and
 * thrown at once as `InvalidAlertRules` (extensions.problems: rule, document, line, path,
 * message); nothing here throws anything else, whatever the input.
 *
 * `alongside` are rules parsed before (the default rules): the file's rules may reference them,
 * and a rule of the file with the id of one of them replaces it. The result is then the kept
 * `alongside` rules followed by the file's.
 */
export function parseAlertRules(
  text: string,
  options: { alongside?: readonly AlertRule[] } = {},
): AlertRule[] {
  if (text.length > MAX_RULE_FILE_CHARACTERS) {
    throw alertRulesInvalid([problemAt(1, `the file is longer than ${MAX_RULE_FILE_CHARACTERS} characters`)]);
  }
  const lines = new LineCounter();
  let list: Document.Parsed[];
  try {
    const documents = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
    list = Array.isArray(documents) ? documents : [];
  } catch (error) {
    // The YAML library reports syntax in `errors`; what it throws is exhaustion (nesting depth).
    throw alertRulesInvalid([
      problemAt(1, `cannot be read: ${error instanceof Error ? error.message : String(error)}`),
    ]);
  }
  const problems: AlertRuleProblem[] = [];
  const drafts: RuleDraft[] = [];
  for (const [index, yaml] of list.entries()) {
    const context: DocumentContext = { yaml, number: index + 1, lines, rule: null };
    const rule = parseDocument(context, problems);
    if (rule !== null) drafts.push({ rule, document: context.number });
  }
  if (drafts.length > MAX_RULES) problems.push(problemAt(1, `more than ${MAX_RULES} rules`));
  const replaced = new Set(drafts.map((draft) => draft.rule.id));
  const kept = (options.alongside ?? []).filter((rule) => !replaced.has(rule.id));
  const resolved = resolveCorrelationReferences(drafts, kept);
  for (const { draft, message } of resolved.problems) {
    const yaml = list[draft.document - 1];
    const line =
      yaml === undefined
        ? null
        : lineOf({ yaml, number: draft.document, lines, rule: null }, ["correlation", "rules"]);
    problems.push({ rule: draft.rule.name, document: draft.document, line, path: null, message });
  }
  if (problems.length > 0) throw alertRulesInvalid(problems);
  return [...kept, ...resolved.rules];
}

function parseDocument(context: DocumentContext, problems: AlertRuleProblem[]): AlertRule | null {
  const { yaml } = context;
  if (yaml.errors.length > 0) {
    const messages = new Set<string>();
    for (const error of yaml.errors) {
      const message = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
      if (messages.has(message) || messages.size === 3) continue;
      messages.add(message);
      problems.push({
        rule: null,
        document: context.number,
        line: error.linePos?.[0].line ?? null,
        path: null,
        message,
      });
    }
    return null;
  }
  let value: unknown;
  try {
    value = yaml.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    problems.push(
      problemAt(context.number, `cannot be read: ${message} (at most ${MAX_ALIASES} alias expansions)`),
    );
    return null;
  }
  if (value === null || value === undefined) return null;
  if (!isPlainObject(value)) {
    problems.push(
      problemAt(context.number, "a rule is a mapping (title:, id:, detection: or correlation: ...)"),
    );
    return null;
  }
  context.rule = ruleLabel(value);
  try {
    return buildRule(context, value, problems);
  } catch (error) {
    if (!(error instanceof RuleFieldError)) throw error;
    problems.push(fieldProblem(context, error.path, error.message));
    return null;
  }
}

function buildRule(
  context: DocumentContext,
  value: Readonly<Record<string, unknown>>,
  problems: AlertRuleProblem[],
): AlertRule | null {
  const correlation = Object.hasOwn(value, "correlation");
  const parsed = (correlation ? correlationRuleSchema : baseRuleSchema).safeParse(value);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.slice(0, 10).map((issue) => issueProblem(context, issue)));
    return null;
  }
  const document = parsed.data;
  const common = commonAttributes(document, value);
  if ("correlation" in document) {
    return { ...common, kind: "correlation", correlation: parseCorrelation(document.correlation) };
  }
  return { ...common, kind: "base", detection: parseDetection(document.detection) };
}

function commonAttributes(
  document: BaseRuleDocument | z.infer<typeof correlationRuleSchema>,
  source: Readonly<Record<string, unknown>>,
) {
  const suppressMs = document.suppress === undefined ? undefined : parseTimespan(document.suppress);
  if (typeof suppressMs === "string") throw new RuleFieldError(["suppress"], suppressMs);
  const response = alertResponse(document.response);
  return {
    id: document.id.toLowerCase(),
    name: document.name,
    title: document.title,
    status: document.status,
    level: document.level,
    source,
    ...(document.description === undefined ? {} : { description: document.description }),
    ...(response === undefined ? {} : { response }),
    ...(suppressMs === undefined ? {} : { suppressMs }),
  };
}

/** The shorthand `response: suspend-token` acts on `actor.id`; `lock-account` on `target.id`. */
function alertResponse(response: BaseRuleDocument["response"]): AlertResponse | undefined {
  if (response === undefined || typeof response === "object") return response;
  return { action: response, subject: response === "suspend-token" ? "actor.id" : "target.id" };
}

function ruleLabel(value: Readonly<Record<string, unknown>>): string | null {
  for (const key of ["name", "title", "id"]) {
    const label = value[key];
    if (typeof label === "string" && label !== "") return label.slice(0, 100);
  }
  return null;
}

function issueProblem(context: DocumentContext, issue: z.core.$ZodIssue): AlertRuleProblem {
  const path = issue.path.filter((part): part is string | number => typeof part !== "symbol");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const known = "see docs/alert-rules.md for the attributes a rule may have";
    return fieldProblem(
      context,
      [...path, key],
      `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")} (${known})`,
    );
  }
  return fieldProblem(context, path, issue.message);
}

function fieldProblem(
  context: DocumentContext,
  path: readonly (string | number)[],
  message: string,
): AlertRuleProblem {
  return {
    rule: context.rule,
    document: context.number,
    line: lineOf(context, path),
    path: path.length === 0 ? null : path.join("."),
    message,
  };
}

/** The line of the deepest node of `path` that exists in the document. */
function lineOf(context: DocumentContext, path: readonly (string | number)[]): number | null {
  for (let length = path.length; length >= 0; length--) {
    const node: unknown =
      length === 0 ? context.yaml.contents : context.yaml.getIn(path.slice(0, length), true);
    if (isNode(node) && node.range !== undefined && node.range !== null) {
      return context.lines.linePos(node.range[0]).line;
    }
  }
  return null;
}

function problemAt(document: number, message: string): AlertRuleProblem {
  return { rule: null, document, line: null, path: null, message };
}
