import { z } from "zod";
import { DOWNLOAD_DAYS, PACKAGE_PAGE_SIZE } from "../../catalog/package-browser.ts";
import { instantSchema, wholeNumberParameter } from "../openapi/common-schemas.ts";

export const uploadedVersionSchema = z
  .object({
    packageName: z.string(),
    version: z.string(),
    versionNormalized: z.string(),
    distSha1: z.string(),
    distSha256: z.string(),
    size: z.number().int(),
    created: z.boolean().meta({ description: "False when the very same archive was uploaded before." }),
  })
  .meta({ id: "UploadedVersion", description: "A published version of an uploaded archive." });

export const deletedVersionSchema = z.object({
  packageName: z.string(),
  version: z.string(),
  versionNormalized: z.string(),
});

export const listPackagesQuerySchema = z.object({
  q: z
    .string()
    .max(255, "must be at most 255 characters (the longest package name)")
    .optional()
    .meta({ description: "Part of the package name to look for (case-insensitive); empty: every package." }),
  limit: wholeNumberParameter(
    1,
    PACKAGE_PAGE_SIZE.max,
    `Packages per page, 1-${PACKAGE_PAGE_SIZE.max} (default ${PACKAGE_PAGE_SIZE.default}).`,
  ),
  cursor: z.string().optional().meta({ description: "`next_cursor` of the previous page." }),
});

export const packageDownloadsQuerySchema = z.object({
  days: wholeNumberParameter(
    1,
    DOWNLOAD_DAYS.max,
    `Days of the per-day series, today included, 1-${DOWNLOAD_DAYS.max} (default ${DOWNLOAD_DAYS.default}).`,
  ),
  version: z
    .string()
    .max(255, "must be at most 255 characters")
    .optional()
    .meta({ description: "Count this version only: as published (`1.2.0`) or normalized (`1.2.0.0`)." }),
});

const originSchema = z
  .enum(["git", "upload"])
  .meta({ description: "`git`: synced from a repository; `upload`: an uploaded archive." });

const linksSchema = z.record(z.string(), z.string());

export const packageSummarySchema = z
  .object({
    name: z.string(),
    description: z.string().nullable().meta({ description: "From the version the package is described by." }),
    latestVersion: z
      .string()
      .nullable()
      .meta({ description: "The newest stable version, as published; null when there is none." }),
    versionCount: z.number().int(),
    origin: originSchema.meta({ description: "Where the version the package is described by comes from." }),
    repositoryId: z
      .string()
      .nullable()
      .meta({ description: "The repository of that version; null for uploads." }),
    downloads: z
      .number()
      .int()
      .meta({ description: "Installs reported by Composer, all versions, all time." }),
    updatedAt: instantSchema,
  })
  .meta({
    id: "PackageSummary",
    description:
      "A package. It is described by its newest stable version, else its newest release, else its newest branch.",
  });

export const packageListSchema = z.object({
  packages: z.array(packageSummarySchema),
  next_cursor: z.string().nullable().meta({ description: "The next page's cursor; null on the last." }),
});

export const packageVersionSchema = z
  .object({
    version: z.string(),
    versionNormalized: z.string(),
    isDev: z.boolean().meta({ description: "A branch version (served in `~dev.json`)." }),
    stability: z.enum(["stable", "RC", "beta", "alpha", "dev"]),
    reference: z.string().meta({ description: "The commit for git versions, the zip's SHA-1 for uploads." }),
    dist: z.object({ sha256: z.string(), sha1: z.string(), size: z.number().int() }),
    time: z
      .string()
      .nullable()
      .meta({ description: "The release time as published (composer.json's `time`, or the commit's)." }),
    origin: originSchema,
    repositoryId: z.string().nullable(),
    downloads: z.number().int(),
    createdAt: instantSchema,
    updatedAt: instantSchema,
  })
  .meta({ id: "PackageVersion", description: "One version of a package." });

export const packageDetailsSchema = packageSummarySchema
  .extend({
    createdAt: instantSchema,
    latest: z
      .object({
        version: z.string(),
        versionNormalized: z.string(),
        type: z.string().nullable(),
        license: z.array(z.string()),
        homepage: z.string().nullable(),
        keywords: z.array(z.string()),
        require: linksSchema,
        requireDev: linksSchema,
        conflict: linksSchema,
        replace: linksSchema,
        provide: linksSchema,
        suggest: linksSchema,
      })
      .meta({ description: "What the version the package is described by says." }),
    versions: z.array(packageVersionSchema).meta({ description: "Newest first (Composer's ordering)." }),
  })
  .meta({ id: "Package", description: "A package with all its versions." });

export const packageDownloadsSchema = z
  .object({
    name: z.string(),
    version: z.string().nullable().meta({ description: "The version counted; null: every version." }),
    versionNormalized: z.string().nullable(),
    total: z.number().int().meta({ description: "All time." }),
    days: z.number().int(),
    from: z.iso.date().meta({ description: "The first UTC day of the series." }),
    to: z.iso.date().meta({ description: "The last UTC day of the series: today." }),
    periodTotal: z.number().int().meta({ description: "Installs within the series." }),
    daily: z
      .array(z.object({ day: z.iso.date(), count: z.number().int() }))
      .meta({ description: "One entry per UTC day, oldest first, days without installs included." }),
  })
  .meta({ id: "PackageDownloads", description: "Installs reported by Composer, per UTC day." });

export const packageReadmeQuerySchema = z.object({
  version: z.string().max(255, "must be at most 255 characters").optional().meta({
    description:
      "The version, as published (`1.2.0`) or normalized (`1.2.0.0`); default: the package's newest stable version, else its newest release, else its newest version (the package's `latest`).",
  }),
});

export const packageReadmeSchema = z
  .object({
    name: z.string(),
    version: z.string().meta({ description: "The version, as published." }),
    path: z.string().meta({ description: "The README's path in the dist archive." }),
    format: z
      .enum(["markdown", "text"])
      .meta({ description: "`markdown` for README.md and README.markdown." }),
    content: z.string().meta({
      description:
        "The README as UTF-8 text (bytes that are not UTF-8 become U+FFFD), at most 512 KiB of it.",
    }),
    truncated: z.boolean().meta({ description: "True when the README is longer and `content` was cut." }),
  })
  .meta({ id: "PackageReadme", description: "A package version's README, read from its stored dist." });
