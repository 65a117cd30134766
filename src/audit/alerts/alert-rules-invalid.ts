import { DomainError, invalidInput } from "../../errors/domain-error.ts";

/** One thing wrong with a rule file: which rule, where (document, line, field path) and what. */
export interface AlertRuleProblem {
  /** The rule's `name` (else its `title`, else its `id`) when the document has one. */
  readonly rule: string | null;
  /** 1-based number of the YAML document in the file. */
  readonly document: number;
  /** 1-based line of the offending field, when known. */
  readonly line: number | null;
  /** Dotted path of the offending field inside the rule (`detection.selection.action|re`). */
  readonly path: string | null;
  readonly message: string;
}

/**
 * A problem found below the document level, with the path of the field it concerns; the document
 * parser adds the rule, document and line.
 */
export class RuleFieldError extends Error {
  override readonly name = "RuleFieldError";
  readonly path: readonly (string | number)[];

  constructor(path: readonly (string | number)[], message: string) {
    super(message);
    this.path = path;
  }
}

/** `InvalidAlertRules` (HTTP 400) listing every problem; the message shows the first few. */
export function alertRulesInvalid(problems: readonly AlertRuleProblem[]): DomainError {
  const shown = problems.slice(0, 5).map(describeProblem);
  const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : "";
  return invalidInput("InvalidAlertRules", `invalid alert rules: ${shown.join("; ")}${more}`, {
    problems,
  });
}

export function describeProblem(problem: AlertRuleProblem): string {
  const rule = problem.rule === null ? "" : ` rule ${JSON.stringify(problem.rule)}`;
  const line = problem.line === null ? "" : `, line ${problem.line}`;
  const path = problem.path === null ? "" : ` ${problem.path}:`;
  return `document ${problem.document}${rule}${line}:${path} ${problem.message}`;
}

export function isInvalidAlertRules(error: unknown): error is DomainError {
  return error instanceof DomainError && error.code === "InvalidAlertRules";
}
