import { z } from "zod";

/**
 * The building blocks of each transport's options schema. Options arrive as strings, numbers or
 * booleans (from the API, the CLI or a config file), so flags and counts also accept their text.
 */
export const textOption = z.string().trim().min(1).max(1024);

export const flagOption = z.union([
  z.boolean(),
  z.enum(["true", "false"]).transform((value) => value === "true"),
]);

export const countOption = z.coerce.number().int().positive().max(86_400_000);

/** A label, tag or header value: printable ASCII, no spaces or separators that would need quoting. */
export const nameOption = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._:/@-]{1,128}$/, "letters, digits and . _ : / @ - only (at most 128)");
