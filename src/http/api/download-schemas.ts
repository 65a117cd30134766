import { z } from "zod";
import { TOP_PACKAGES } from "../../catalog/download-overview.ts";
import { DOWNLOAD_DAYS } from "../../catalog/package-browser.ts";
import { wholeNumberParameter } from "../openapi/common-schemas.ts";

export const downloadOverviewQuerySchema = z.object({
  days: wholeNumberParameter(
    1,
    DOWNLOAD_DAYS.max,
    `Days of the per-day series, today included, 1-${DOWNLOAD_DAYS.max} (default ${DOWNLOAD_DAYS.default}).`,
  ),
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
