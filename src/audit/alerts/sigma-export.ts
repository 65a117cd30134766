import { Document } from "yaml";
import {
  isDerivedField,
  type AlertRule,
  type BaseAlertRule,
  type ConditionNode,
  type CorrelationAlertRule,
} from "./alert-rule.ts";

/** Our extensions: dropped from exported rules (each leaves a comment). */
const EXTENSION_KEYS = ["response", "suppress"];

const HEADER = [
  " Exported from PACKAGE.broker (docs/alert-rules.md). Fields are the audit event's JSON paths",
  " (event, action, outcome, actor.id, ip_address, target.name, details.*): map them to your SIEM's",
  " with a processing pipeline. PACKAGE.broker fires a correlation once when its count is reached",
  " and then counts afresh for that group.",
].join("\n");

type Simplified = ConditionNode | boolean;

interface Exported {
  readonly document: Record<string, unknown> | null;
  readonly notes: string[];
}

/**
 * The rules as Sigma (v2) YAML documents, for a SOC to run in its own SIEM. What Sigma cannot say
 * is removed and the document says so in a comment: `response` and `suppress`; selections on the
 * derived `pb.*` fields (replaced so the rule matches more, never less: business hours and
 * "retention shortened" become "any time" and "any retention change"); `pb.ip_network` in
 * group-by becomes `ip_address`. A rule that would then match everything or nothing, or that
 * references such a rule, is left out, with a comment saying why.
 */
export function exportSigmaRules(rules: readonly AlertRule[]): string {
  const left = new Set<string>();
  const parts = [`#${HEADER.replaceAll("\n", "\n#")}\n`];
  for (const rule of rules) {
    const exported = rule.kind === "base" ? exportBase(rule) : exportCorrelation(rule, left);
    if (exported.document === null) {
      left.add(rule.id);
      parts.push(`# Not exported: ${rule.name} (${rule.title}): ${exported.notes.join("; ")}\n`);
      continue;
    }
    const document = new Document(exported.document);
    const notes = [...extensionNotes(rule), ...exported.notes];
    if (notes.length > 0) document.commentBefore = notes.map((note) => ` ${note}`).join("\n");
    parts.push(`---\n${document.toString({ lineWidth: 0 })}`);
  }
  return parts.join("");
}

function extensionNotes(rule: AlertRule): string[] {
  const notes: string[] = [];
  if (rule.response !== undefined) {
    notes.push(`PACKAGE.broker response left out: ${rule.response.action} on ${rule.response.subject}.`);
  }
  if (rule.suppressMs !== undefined) {
    notes.push(
      `PACKAGE.broker suppression left out: once fired, quiet for ${String(rule.source.suppress)} per group.`,
    );
  }
  return notes;
}

function withoutExtensions(source: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(source).filter(([key]) => !EXTENSION_KEYS.includes(key)));
}

function exportBase(rule: BaseAlertRule): Exported {
  const source = withoutExtensions(rule.source);
  const derived = [...rule.detection.selections]
    .filter(([, selection]) =>
      selection.some((fields) => fields.some((field) => isDerivedField(field.field))),
    )
    .map(([name]) => name);
  if (derived.length === 0) return { document: source, notes: [] };
  const removed = new Set(derived);
  const condition = simplify(rule.detection.condition, removed, true);
  if (typeof condition === "boolean") {
    return {
      document: null,
      notes: [
        `without ${derived.join(", ")} (derived pb.* fields) it would match ${condition ? "every event" : "nothing"}`,
      ],
    };
  }
  const detection = Object.fromEntries(
    Object.entries(source.detection as Record<string, unknown>).filter(([name]) => !removed.has(name)),
  );
  detection.condition = render(condition, 0);
  const notes = derived.map(
    (name) =>
      `Selection ${name} left out (it tests a field PACKAGE.broker derives: ${derivedNames(rule, name)}): this rule matches more events than in PACKAGE.broker.`,
  );
  return { document: { ...source, detection }, notes };
}

function derivedNames(rule: BaseAlertRule, selection: string): string {
  const fields = (rule.detection.selections.get(selection) ?? []).flat().map((field) => field.field);
  return [...new Set(fields.filter(isDerivedField))].join(", ");
}

function exportCorrelation(rule: CorrelationAlertRule, left: ReadonlySet<string>): Exported {
  const { correlation } = rule;
  const missing = correlation.rules.filter((id) => left.has(id));
  if (missing.length > 0)
    return { document: null, notes: [`it references rules that are not exported (${missing.join(", ")})`] };
  if (correlation.field !== undefined && isDerivedField(correlation.field)) {
    return { document: null, notes: [`it counts the derived field ${correlation.field}`] };
  }
  const source = withoutExtensions(rule.source);
  const block = { ...(source.correlation as Record<string, unknown>) };
  const notes: string[] = [];
  const groupBy = correlation.groupBy.map((field) => {
    if (field === "pb.ip_network") {
      notes.push(
        "Grouped by ip_address instead of pb.ip_network (the /24 or /48 network): one address per group.",
      );
      return "ip_address";
    }
    if (isDerivedField(field))
      notes.push(`group-by ${field} is a field PACKAGE.broker derives: compute it in your pipeline.`);
    return field;
  });
  if (correlation.groupBy.length > 0) block["group-by"] = groupBy;
  return { document: { ...source, correlation: block }, notes };
}

/**
 * The condition with the `removed` identifiers replaced so the result matches at least as much:
 * true where they occur positively, false under an odd number of `not`.
 */
function simplify(node: ConditionNode, removed: ReadonlySet<string>, positive: boolean): Simplified {
  switch (node.op) {
    case "ref":
      return removed.has(node.name) ? positive : node;
    case "not": {
      const arg = simplify(node.arg, removed, !positive);
      return typeof arg === "boolean" ? !arg : { op: "not", arg };
    }
    case "and":
    case "or": {
      const absorbing = node.op === "or";
      const args: ConditionNode[] = [];
      for (const child of node.args) {
        const result = simplify(child, removed, positive);
        if (result === absorbing) return absorbing;
        if (typeof result !== "boolean") args.push(result);
      }
      if (args.length === 0) return !absorbing;
      return args.length === 1 && args[0] !== undefined ? args[0] : { op: node.op, args };
    }
  }
}

const PRECEDENCE = { or: 1, and: 2, not: 3, ref: 4 } as const;

/** Condition text; parentheses only where precedence needs them. */
function render(node: ConditionNode, parent: number): string {
  const own = PRECEDENCE[node.op];
  const text =
    node.op === "ref"
      ? node.name
      : node.op === "not"
        ? `not ${render(node.arg, own)}`
        : node.args.map((arg) => render(arg, own)).join(` ${node.op} `);
  return own < parent ? `(${text})` : text;
}
