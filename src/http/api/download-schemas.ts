import { z } from "zod";
import { TOP_PACKAGES } from "../../catalog/download-overview.ts";
import { DOWNLOAD_DAYS } from "../../catalog/package-browser.ts";

const DAYS_MESSAGE = `must be a whole number from 1 to ${DOWNLOAD_DAYS.max}`;

export const downloadOverviewQuerySchema = z.object({
  days: z
    .string()
    .regex(/^[0-9]{1,9}$/, DAYS_MESSAGE)
    .transform(Number)
    .pipe(z.number().int().min(1, DAYS_MESSAGE).max(DOWNLOAD_DAYS.max, DAYS_MESSAGE))
    .optional()
    .meta({
      description: `Days of the per-day series, today included, 1-${DOWNLOAD_DAYS.max} (default ${DOWNLOAD_DAYS.default}).`,
    }),
});

export const downloadOverviewSchema = z
  .object({
    days: z.number().int(),
    from: z.iso.date().meta({ description: "The first UTC day of the series." }),
    to: z.iso.date().meta({ description: "The last UTC day of the series: today." }),
    total: z.number().int().meta({ description: "All time." }),
    periodTotal: z.number().int().meta({ description: "Installs within the series." }),
    daily: z
      .array(z.object({ day: z.iso.date(), count: z.number().int() }))
      .meta({ description: "One entry per UTC day, oldest first, days without installs included." }),
    top: z
      .array(z.object({ name: z.string(), periodTotal: z.number().int() }))
      .max(TOP_PACKAGES)
      .meta({
        description: `The ${TOP_PACKAGES} packages (at most) installed most within the series, most first, ties by name.`,
      }),
  })
  .meta({
    id: "DownloadOverview",
    description: "Installs reported by Composer across the packages the token may see, per UTC day.",
  });
