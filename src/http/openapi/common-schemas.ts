import { z } from "zod";

/** A UTC instant as the API writes it (`2026-01-31T12:00:00.000Z`). */
export const instantSchema = z.iso.datetime().meta({ description: "A UTC instant (ISO 8601)." });

/** An instant a client sends: any ISO 8601 date-time with an offset. */
export const instantInputSchema = z.iso
  .datetime({ offset: true, error: "must be an ISO 8601 date-time" })
  .transform((value) => new Date(value));
