import type { ApiProblem } from "../api/api-problem.ts";
import type { FieldErrors } from "./field-errors.ts";

/**
 * Puts an API problem whose `errors` name dotted paths (`audit.retentionDays.user`) next to the
 * fields under `prefix` (`audit.retentionDays.` → field `user`); anything else goes on the form,
 * as does a problem without `errors` (unless its code names a field).
 */
export function pathErrorsOf(
  problem: ApiProblem,
  prefix: string,
  fieldOfCode: Partial<Record<string, string>> = {},
): FieldErrors<string> {
  const errors: FieldErrors<string> = {};
  for (const entry of problem.errors) {
    const key = entry.path.startsWith(prefix) ? (entry.path.slice(prefix.length).split(".")[0] ?? "") : "";
    const field = key === "" ? "form" : key;
    errors[field] = errors[field] === undefined ? entry.message : `${errors[field]}; ${entry.message}`;
  }
  if (problem.errors.length === 0) errors[fieldOfCode[problem.code] ?? "form"] = problem.detail;
  return errors;
}
