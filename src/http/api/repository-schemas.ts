import { z } from "zod";
import { instantSchema } from "../openapi/common-schemas.ts";

export const publicRepositorySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.string().meta({
      description: "The source type: `git`, or `composer` (an upstream Composer repository, proxied lazily).",
    }),
    url: z.string(),
    hasCredentials: z.boolean().meta({ description: "Credentials are stored (encrypted), never shown." }),
    packagePatterns: z
      .array(z.string())
      .meta({ description: "composer: the package patterns the upstream may provide; empty means any." }),
    status: z.string().meta({
      description:
        "`new`, `ok` after a good sync, `error` after a failed one (composer upstreams stay `new`: they are not synced).",
    }),
    defaultBranch: z.string().nullable(),
    lastError: z.string().nullable(),
    lastSyncedAt: instantSchema.nullable(),
    createdAt: instantSchema,
  })
  .meta({ id: "Repository", description: "A package source; never its credentials." });

export const repositoryListSchema = z.object({ repositories: z.array(publicRepositorySchema) });

export const syncRunSchema = z
  .object({
    id: z.string(),
    repositoryId: z.string(),
    status: z.enum(["running", "succeeded", "failed"]),
    startedAt: instantSchema,
    finishedAt: instantSchema.nullable(),
    details: z.object({
      added: z.array(z.string()),
      updated: z.array(z.string()),
      removed: z.array(z.string()),
      skipped: z.array(z.object({ ref: z.string(), reason: z.string() })),
      moved: z.array(z.object({ ref: z.string(), from: z.string(), to: z.string() })),
    }),
    error: z.string().nullable(),
  })
  .meta({ id: "SyncRun", description: "One sync: what it added, updated, removed, skipped and why." });

export const syncRunListSchema = z.object({ syncs: z.array(syncRunSchema) });
