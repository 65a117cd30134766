import { invalidInput } from "../../errors/domain-error.ts";
import type { AuditEvent } from "../audit-event.ts";
import type {
  AlertRule,
  BaseAlertRule,
  ConditionNode,
  CorrelationAlertRule,
  FieldReader,
} from "./alert-rule.ts";
import { businessHoursTest, defaultBusinessHours, type BusinessHours } from "./business-hours.ts";
import {
  correlationWindow,
  fieldValueText,
  type CorrelationWindow,
  type RuleMatch,
} from "./correlation-window.ts";
import { eventFieldReader } from "./event-field-reader.ts";
import type { FiredAlert } from "./fired-alert.ts";
import { GroupTable } from "./group-table.ts";

export interface AlertEvaluatorOptions {
  /** For `pb.business_hours`; defaultBusinessHours (UTC, Monday to Friday, 08:00–18:00) if absent. */
  readonly businessHours?: BusinessHours;
  /** Groups kept per correlation rule (and suppressed groups per rule); DEFAULT_MAX_GROUPS_PER_RULE. */
  readonly maxGroupsPerRule?: number;
}

export const DEFAULT_MAX_GROUPS_PER_RULE = 10_000;

/** Memory held, for tests and metrics. */
export interface AlertEvaluatorState {
  readonly groups: number;
  readonly entries: number;
  /** Groups dropped because a rule had more than maxGroupsPerRule. */
  readonly evictedGroups: number;
}

interface CompiledRule {
  readonly rule: AlertRule;
  /** Whether its matches are alerts (see docs/alert-rules.md, `generate`). */
  readonly emits: boolean;
  readonly groups: GroupTable<CorrelationWindow> | null;
  readonly suppressed: GroupTable<number> | null;
}

/**
 * Runs alert rules over the audit event stream, one event at a time, in `seq` order. Pure and
 * deterministic: time is the events' own timestamps (an earlier timestamp than one already seen,
 * from clock skew between nodes, counts as the latest seen), so the same events always give the
 * same alerts. Events of category `alert` are ignored (alerts never feed rules). State is per rule
 * and group, forgotten once older than the rule's timespan, and bounded by maxGroupsPerRule.
 * To rebuild the state after a restart, replay the events of the longest timespan before the
 * first live one (`replay`): the alerts they would raise were raised before.
 */
export class AlertEvaluator {
  readonly #rules: readonly CompiledRule[];
  readonly #inBusinessHours: (instantMs: number) => boolean;
  #clockMs = Number.NEGATIVE_INFINITY;

  constructor(rules: readonly AlertRule[], options: AlertEvaluatorOptions = {}) {
    this.#inBusinessHours = businessHoursTest(options.businessHours ?? defaultBusinessHours);
    const maxGroups = options.maxGroupsPerRule ?? DEFAULT_MAX_GROUPS_PER_RULE;
    if (!Number.isInteger(maxGroups) || maxGroups < 1) {
      throw invalidInput("InvalidAlertOptions", "maxGroupsPerRule must be a positive whole number");
    }
    this.#rules = evaluationOrder(rules).map((rule) => compile(rule, rules, maxGroups));
  }

  /** The alerts this event raises (none usually), in rule order (referenced rules first). */
  observe(event: AuditEvent): FiredAlert[] {
    if (event.event === "alert") return [];
    const instant = Date.parse(event.timestamp);
    if (!Number.isNaN(instant)) this.#clockMs = Math.max(this.#clockMs, instant);
    if (!Number.isFinite(this.#clockMs)) return [];
    const now = this.#clockMs;
    const read = eventFieldReader(event, this.#inBusinessHours);
    const matches = new Map<string, RuleMatch[]>();
    const fired: FiredAlert[] = [];
    for (const compiled of this.#rules) {
      compiled.groups?.expire(now);
      compiled.suppressed?.expire(now);
      const produced =
        compiled.rule.kind === "base"
          ? matchBase(compiled.rule, event, read, now)
          : correlate(compiled.rule, compiled.groups, matches, now);
      if (produced.length === 0) continue;
      matches.set(compiled.rule.id, produced);
      if (!compiled.emits) continue;
      for (const match of produced) {
        const alert = toAlert(compiled, match, now);
        if (alert !== null) fired.push(alert);
      }
    }
    return fired;
  }

  /** Observes events and discards their alerts: rebuilds windows and suppressions. */
  replay(events: Iterable<AuditEvent>): void {
    for (const event of events) this.observe(event);
  }

  state(): AlertEvaluatorState {
    let groups = 0;
    let entries = 0;
    let evictedGroups = 0;
    for (const { groups: table, suppressed } of this.#rules) {
      groups += (table?.size ?? 0) + (suppressed?.size ?? 0);
      evictedGroups += table?.evicted ?? 0;
      for (const window of table?.states() ?? []) entries += window.size();
    }
    return { groups, entries, evictedGroups };
  }
}

function compile(rule: AlertRule, rules: readonly AlertRule[], maxGroups: number): CompiledRule {
  const referencedBy = rules.filter(
    (other): other is CorrelationAlertRule =>
      other.kind === "correlation" && other.correlation.rules.includes(rule.id),
  );
  const emits =
    rule.kind === "correlation" ||
    referencedBy.length === 0 ||
    referencedBy.some((other) => other.correlation.generate);
  const groups =
    rule.kind === "correlation"
      ? new GroupTable<CorrelationWindow>(rule.correlation.timespanMs, maxGroups)
      : null;
  const suppressed =
    rule.suppressMs === undefined ? null : new GroupTable<number>(rule.suppressMs, maxGroups);
  return { rule, emits, groups, suppressed };
}

/** Referenced rules before the rules referencing them; throws on an unknown reference or a cycle. */
function evaluationOrder(rules: readonly AlertRule[]): AlertRule[] {
  const byId = new Map(rules.map((rule) => [rule.id, rule]));
  const ordered: AlertRule[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (rule: AlertRule): void => {
    if (state.get(rule.id) === "done") return;
    if (state.get(rule.id) === "visiting")
      throw invalidInput("InvalidAlertRules", `rule ${rule.name} is part of a cycle`);
    state.set(rule.id, "visiting");
    for (const id of rule.kind === "correlation" ? rule.correlation.rules : []) {
      const referenced = byId.get(id);
      if (referenced === undefined)
        throw invalidInput("InvalidAlertRules", `rule ${rule.name} references unknown rule ${id}`);
      visit(referenced);
    }
    state.set(rule.id, "done");
    ordered.push(rule);
  };
  for (const rule of rules) visit(rule);
  return ordered;
}

function matchBase(rule: BaseAlertRule, event: AuditEvent, read: FieldReader, now: number): RuleMatch[] {
  const { selections, condition } = rule.detection;
  const cache = new Map<string, boolean>();
  const selected = (name: string): boolean => {
    let result = cache.get(name);
    if (result === undefined) {
      result = (selections.get(name) ?? []).some((fields) => fields.every((field) => field.test(read)));
      cache.set(name, result);
    }
    return result;
  };
  if (!holds(condition, selected)) return [];
  const evidence = [{ id: event.id, seq: event.seq }];
  return [{ ruleId: rule.id, atMs: now, firstMs: now, groupKey: {}, read, count: 1, evidence }];
}

function holds(node: ConditionNode, selected: (name: string) => boolean): boolean {
  switch (node.op) {
    case "ref":
      return selected(node.name);
    case "not":
      return !holds(node.arg, selected);
    case "and":
      return node.args.every((arg) => holds(arg, selected));
    case "or":
      return node.args.some((arg) => holds(arg, selected));
  }
}

function correlate(
  rule: CorrelationAlertRule,
  groups: GroupTable<CorrelationWindow> | null,
  matches: ReadonlyMap<string, readonly RuleMatch[]>,
  now: number,
): RuleMatch[] {
  const { correlation } = rule;
  const produced: RuleMatch[] = [];
  for (const match of correlation.rules.flatMap((id) => matches.get(id) ?? [])) {
    const values = correlation.groupBy.map((field) => fieldValueText(match.read(field)));
    if (groups === null || values.includes(null)) continue;
    const window = groups.touch(JSON.stringify(values), now, () => correlationWindow(correlation));
    const firing = window.add(match);
    if (firing === null) continue;
    const groupKey = Object.fromEntries(
      correlation.groupBy.map((field, index) => [field, values[index] ?? ""]),
    );
    const read: FieldReader = (path) => (Object.hasOwn(groupKey, path) ? groupKey[path] : match.read(path));
    produced.push({ ruleId: rule.id, atMs: now, groupKey, read, ...firing });
  }
  return produced;
}

function toAlert(compiled: CompiledRule, match: RuleMatch, now: number): FiredAlert | null {
  const { rule, suppressed } = compiled;
  if (suppressed !== null) {
    const key = JSON.stringify(match.groupKey);
    if (suppressed.get(key) !== undefined) return null;
    suppressed.touch(key, now, () => now);
  }
  const subject = rule.response === undefined ? null : fieldValueText(match.read(rule.response.subject));
  return {
    ruleId: rule.id,
    ruleName: rule.name,
    title: rule.title,
    level: rule.level,
    groupKey: match.groupKey,
    count: match.count,
    evidence: match.evidence,
    firstTimestamp: new Date(match.firstMs).toISOString(),
    lastTimestamp: new Date(match.atMs).toISOString(),
    ...(rule.response === undefined ? {} : { response: rule.response.action }),
    ...(subject === null ? {} : { subject }),
  };
}
