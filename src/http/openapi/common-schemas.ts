import { z } from "zod";

/** A UTC instant as the API writes it (`2026-01-31T12:00:00.000Z`). */
export const instantSchema = z.iso.datetime().meta({ description: "A UTC instant (ISO 8601)." });

/** An instant a client sends: any ISO 8601 date-time with an offset. */
export const instantInputSchema = z.iso
  .datetime({ offset: true, error: "must be an ISO 8601 date-time" })
  .transform((value) => new Date(value));

/** A whole number from the query string, within a range; anything else is a 400 naming the field. */
export function wholeNumberParameter(min: number, max: number, description: string) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^[0-9]{1,9}$/, message)
    .transform(Number)
    .pipe(z.number().int().min(min, message).max(max, message))
    .optional()
    .meta({ description });
}

/** The `limit` and `cursor` of a keyset-paged list of up to 500 `items` a page (default 50). */
export function pageQueryFields(items: string) {
  return {
    limit: z
      .string()
      .regex(/^[0-9]{1,3}$/, { error: "must be a whole number from 1 to 500" })
      .transform(Number)
      .refine((value) => value >= 1 && value <= 500, { error: "must be a whole number from 1 to 500" })
      .optional()
      .meta({ description: `${items} per page, 1-500 (default 50).` }),
    cursor: z.string().max(200).optional().meta({ description: "`nextCursor` of the previous page." }),
  };
}
