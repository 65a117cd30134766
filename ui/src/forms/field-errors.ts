import type { ApiProblem } from "../api/api-problem.ts";

/** Error messages by field name; `form` for what belongs to no field. */
export type FieldErrors<F extends string> = Partial<Record<F | "form", string>>;

/**
 * Puts an API problem next to the fields it is about: each entry of `errors` by its path (the
 * first segment names the field), or the whole problem at the field its code is about, or else
 * on the form.
 */
export function fieldErrorsOf<F extends string>(
  problem: ApiProblem,
  fields: readonly F[],
  fieldOfCode: Partial<Record<string, F>> = {},
): FieldErrors<F> {
  const errors: FieldErrors<F> = {};
  const isField = (name: string): name is F => (fields as readonly string[]).includes(name);
  for (const entry of problem.errors) {
    const field = entry.path.split(".")[0] ?? "";
    const key = isField(field) ? field : "form";
    errors[key] = errors[key] === undefined ? entry.message : `${errors[key]}; ${entry.message}`;
  }
  if (problem.errors.length > 0) return errors;
  const field = fieldOfCode[problem.code];
  const details = passwordProblems(problem);
  errors[field ?? "form"] = details.length > 0 ? details.join("; ") : problem.detail;
  return errors;
}

/** The `problems` of a WeakPassword answer, as messages. */
function passwordProblems(problem: ApiProblem): string[] {
  const list = problem.extensions.problems;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown) => {
    const message =
      typeof item === "object" && item !== null ? (item as { message?: unknown }).message : null;
    return typeof message === "string" ? [message] : [];
  });
}

/** Whether the form has any error to show. */
export function hasErrors(errors: Readonly<Record<string, string | undefined>>): boolean {
  return Object.values(errors).some((message) => message !== undefined);
}
