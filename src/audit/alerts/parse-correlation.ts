import type { AlertRule, Correlation } from "./alert-rule.ts";
import { MAX_THRESHOLD, type CorrelationRuleDocument } from "./alert-rule-schema.ts";
import { RuleFieldError } from "./alert-rules-invalid.ts";
import { parseTimespan } from "./parse-timespan.ts";

type CorrelationDocument = CorrelationRuleDocument["correlation"];

const PATH = ["correlation", "condition"] as const;

/**
 * A correlation block, its `rules` still as written (names or ids; resolveCorrelationReferences
 * turns them into ids). Only `gt`/`gte` conditions: the evaluator fires when a count is reached;
 * "fewer than" would need a clock that fires on silence (docs/alert-rules.md, Limits).
 */
export function parseCorrelation(correlation: CorrelationDocument): Correlation {
  const timespanMs = parseTimespan(correlation.timespan);
  if (typeof timespanMs === "string") throw new RuleFieldError(["correlation", "timespan"], timespanMs);
  const { type, rules } = correlation;
  if ((type === "temporal" || type === "temporal_ordered") && rules.length < 2) {
    throw new RuleFieldError(["correlation", "rules"], `${type} needs at least two rules`);
  }
  if (type === "event_count" || type === "value_count") {
    if (new Set(rules).size !== rules.length)
      throw new RuleFieldError(["correlation", "rules"], "a rule is listed twice");
  }
  const { threshold, field } = correlationCondition(correlation);
  return {
    type,
    rules,
    groupBy: correlation["group-by"] ?? [],
    timespanMs,
    threshold,
    ...(field === undefined ? {} : { field }),
    generate: correlation.generate ?? false,
  };
}

function correlationCondition(correlation: CorrelationDocument): { threshold: number; field?: string } {
  const { type, rules } = correlation;
  const condition = correlation.condition ?? {};
  for (const unsupported of ["lt", "lte", "eq"] as const) {
    if (condition[unsupported] !== undefined) {
      throw new RuleFieldError(
        [...PATH, unsupported],
        `${unsupported} is not supported: alerts fire when a count is reached (use gt or gte)`,
      );
    }
  }
  if (condition.gt !== undefined && condition.gte !== undefined)
    throw new RuleFieldError(PATH, "give gt or gte, not both");
  const given = condition.gte ?? (condition.gt === undefined ? undefined : condition.gt + 1);
  if (type === "value_count" && condition.field === undefined) {
    throw new RuleFieldError(
      [...PATH, "field"],
      "value_count counts the distinct values of a field: give condition.field",
    );
  }
  if (type !== "value_count" && condition.field !== undefined) {
    throw new RuleFieldError([...PATH, "field"], `field only applies to value_count, not ${type}`);
  }
  if (type === "temporal" || type === "temporal_ordered") {
    const threshold = given ?? rules.length;
    const allowed =
      type === "temporal" ? threshold >= 1 && threshold <= rules.length : threshold === rules.length;
    if (!allowed) {
      throw new RuleFieldError(
        PATH,
        type === "temporal"
          ? `between 1 and ${rules.length} rules`
          : "temporal_ordered needs the whole sequence",
      );
    }
    return { threshold };
  }
  if (given === undefined) throw new RuleFieldError(PATH, "give gte: N (or gt: N)");
  if (given < 1 || given > MAX_THRESHOLD)
    throw new RuleFieldError(PATH, `the count must reach between 1 and ${MAX_THRESHOLD}`);
  return condition.field === undefined ? { threshold: given } : { threshold: given, field: condition.field };
}

/** A parsed rule with where it came from, for problems found across rules. */
export interface RuleDraft {
  readonly rule: AlertRule;
  readonly document: number;
}

export interface ReferenceProblem {
  readonly draft: RuleDraft;
  readonly message: string;
}

/**
 * Resolves every correlation's `rules` (by name or id) to ids, among the drafts and the already
 * resolved `existing` rules, and finds duplicate ids and names, unknown and self references, and
 * cycles.
 */
export function resolveCorrelationReferences(
  drafts: readonly RuleDraft[],
  existing: readonly AlertRule[],
): { rules: AlertRule[]; problems: ReferenceProblem[] } {
  const problems: ReferenceProblem[] = [];
  const byKey = new Map<string, AlertRule>();
  for (const rule of existing) for (const key of [rule.id, rule.name]) byKey.set(key, rule);
  for (const draft of drafts) {
    for (const key of [draft.rule.id.toLowerCase(), draft.rule.name]) {
      if (byKey.has(key))
        problems.push({ draft, message: `id or name ${JSON.stringify(key)} is used by another rule` });
      else byKey.set(key, draft.rule);
    }
  }
  const rules = drafts.map((draft): AlertRule => {
    const { rule } = draft;
    if (rule.kind === "base") return rule;
    const ids = rule.correlation.rules.map((reference) => {
      const target = byKey.get(reference) ?? byKey.get(reference.toLowerCase());
      if (target === undefined)
        problems.push({ draft, message: `correlation.rules: no rule is named ${JSON.stringify(reference)}` });
      else if (target.id === rule.id)
        problems.push({ draft, message: "correlation.rules: a rule cannot reference itself" });
      return target?.id ?? reference;
    });
    return { ...rule, correlation: { ...rule.correlation, rules: ids } };
  });
  if (problems.length === 0) problems.push(...findCycles(drafts, [...existing, ...rules]));
  return { rules, problems };
}

function findCycles(drafts: readonly RuleDraft[], rules: readonly AlertRule[]): ReferenceProblem[] {
  const references = new Map(
    rules.map((rule) => [rule.id, rule.kind === "base" ? [] : rule.correlation.rules]),
  );
  const done = new Set<string>();
  const path: string[] = [];
  const cyclic = new Set<string>();
  const visit = (id: string): void => {
    if (done.has(id)) return;
    const onPath = path.indexOf(id);
    if (onPath !== -1) {
      for (const member of path.slice(onPath)) cyclic.add(member);
      return;
    }
    path.push(id);
    for (const next of references.get(id) ?? []) visit(next);
    path.pop();
    done.add(id);
  };
  for (const rule of rules) visit(rule.id);
  return drafts
    .filter((draft) => cyclic.has(draft.rule.id))
    .map((draft) => ({ draft, message: "correlation.rules: the rules reference each other in a cycle" }));
}
