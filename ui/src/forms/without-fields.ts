import type { FieldErrors } from "./field-errors.ts";

/** The errors but those of `fields`: an error goes when its field changes. */
export function withoutFields<F extends string>(
  errors: FieldErrors<F>,
  fields: readonly string[],
): FieldErrors<F> {
  return Object.fromEntries(
    Object.entries(errors).filter(([field]) => !fields.includes(field)),
  ) as FieldErrors<F>;
}
