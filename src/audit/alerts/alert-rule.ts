/**
 * Parsed alert rules (docs/alert-rules.md): Sigma base rules that match one audit event, and Sigma
 * correlation rules that count, distinct-count or sequence the matches of other rules in a sliding
 * window. Produced by parseAlertRules, consumed by AlertEvaluator and exportSigmaRules.
 */

export const alertLevels = ["informational", "low", "medium", "high", "critical"] as const;
export type AlertLevel = (typeof alertLevels)[number];

export const ruleStatuses = ["stable", "test", "experimental", "deprecated", "unsupported"] as const;
export type RuleStatus = (typeof ruleStatuses)[number];

export const alertResponseActions = ["suspend-token", "lock-account"] as const;
export type AlertResponseAction = (typeof alertResponseActions)[number];

/** What the server may do when the rule fires, and which field names the token or account. */
export interface AlertResponse {
  readonly action: AlertResponseAction;
  /** A field path (`actor.id`, `target.id`): a group-by value, else the last matching event's. */
  readonly subject: string;
}

/** Reads a field of the event being evaluated: dotted envelope paths and the derived `pb.*` fields. */
export type FieldReader = (path: string) => unknown;

/** One `field|modifiers: values` entry of a selection. */
export interface FieldMatcher {
  readonly field: string;
  readonly test: (read: FieldReader) => boolean;
}

/**
 * A search identifier: a map is the AND of its fields; a list of maps is the OR of the maps.
 * Stored as OR of ANDs.
 */
export type Selection = readonly (readonly FieldMatcher[])[];

/** A condition with `1 of` / `all of` already expanded into `or` / `and` of identifiers. */
export type ConditionNode =
  | { readonly op: "ref"; readonly name: string }
  | { readonly op: "not"; readonly arg: ConditionNode }
  | { readonly op: "and" | "or"; readonly args: readonly ConditionNode[] };

export interface Detection {
  readonly selections: ReadonlyMap<string, Selection>;
  readonly condition: ConditionNode;
}

export const correlationTypes = ["event_count", "value_count", "temporal", "temporal_ordered"] as const;
export type CorrelationType = (typeof correlationTypes)[number];

export interface Correlation {
  readonly type: CorrelationType;
  /** The referenced rules' ids, in the order written (which matters for `temporal_ordered`). */
  readonly rules: readonly string[];
  readonly groupBy: readonly string[];
  readonly timespanMs: number;
  /**
   * How many must be reached: events (`event_count`), distinct values of `field`
   * (`value_count`) or distinct referenced rules (`temporal`; all of them by default).
   * `temporal_ordered` always needs the whole sequence.
   */
  readonly threshold: number;
  readonly field?: string;
  /** Whether the referenced base rules also fire on their own (Sigma's `generate`). */
  readonly generate: boolean;
}

interface RuleCommon {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly status: RuleStatus;
  readonly level: AlertLevel;
  readonly description?: string;
  readonly response?: AlertResponse;
  /** Once fired for a group, stay quiet for that group for this long (event time). */
  readonly suppressMs?: number;
  /** The rule's document as written (after YAML parsing): the Sigma export starts from it. */
  readonly source: Readonly<Record<string, unknown>>;
}

export interface BaseAlertRule extends RuleCommon {
  readonly kind: "base";
  readonly detection: Detection;
}

export interface CorrelationAlertRule extends RuleCommon {
  readonly kind: "correlation";
  readonly correlation: Correlation;
}

export type AlertRule = BaseAlertRule | CorrelationAlertRule;

/** The derived fields the evaluator computes (our extension; not part of the event). */
export const derivedFields = ["pb.ip_network", "pb.business_hours", "pb.retention_shortened"] as const;
export type DerivedField = (typeof derivedFields)[number];

export function isDerivedField(path: string): boolean {
  return path.startsWith("pb.");
}
