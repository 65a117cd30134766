import { z } from "zod";
import { instantSchema, wholeNumberParameter } from "../openapi/common-schemas.ts";

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
    eagerPackages: z.array(z.string()).meta({
      description:
        "composer: the packages a sync mirrors ahead of time (names or patterns with `*`); empty: lazy only.",
    }),
    status: z.string().meta({
      description:
        "`new`, `ok` after a good sync, `error` after a failed one (a composer upstream without eager packages stays `new`: it is not synced).",
    }),
    defaultBranch: z.string().nullable(),
    lastError: z.string().nullable(),
    lastSyncedAt: instantSchema.nullable(),
    createdAt: instantSchema,
  })
  .meta({ id: "Repository", description: "A package source; never its credentials." });

export const repositoryListSchema = z.object({ repositories: z.array(publicRepositorySchema) });

const count = z.number().int();

export const upstreamSyncCountsSchema = z
  .object({
    mode: z.enum(["full", "changes"]).meta({
      description:
        "`full`: every eager package was asked; `changes`: only what the upstream's change feed named.",
    }),
    packages: z.object({ fetched: count, unchanged: count, failed: count, gone: count }),
    versions: z.object({ new: count, known: count }).meta({
      description: "Versions that entered the integrity ledger, and versions it already held.",
    }),
    dists: z.object({ fetched: count, unchanged: count, failed: count }),
    failures: z
      .array(z.object({ package: z.string(), reason: z.string() }))
      .meta({ description: "Why packages failed (at most 100)." }),
    feedError: z
      .string()
      .nullable()
      .meta({ description: "Why the change feed could not be used (the run was a full one)." }),
  })
  .meta({ id: "UpstreamSyncCounts", description: "What an eager sync of a composer upstream mirrored." });

const syncProgressSchema = z
  .discriminatedUnion("phase", [
    z.object({ phase: z.literal("fetching") }),
    z.object({
      phase: z.literal("refs"),
      done: z.number().int(),
      total: z.number().int(),
      ref: z.string().meta({ description: "The ref (git) or package (eager composer sync) being read." }),
      unit: z
        .literal("packages")
        .optional()
        .meta({ description: "Present when packages are counted, not refs." }),
    }),
  ])
  .meta({
    id: "SyncProgress",
    description:
      "Where a running sync is: `fetching` from its source, or reading refs (packages) `done` of `total`. Updated about twice a second.",
  });

export const syncRunSchema = z
  .object({
    id: z.string(),
    repositoryId: z.string(),
    status: z.enum(["running", "succeeded", "failed", "interrupted"]).meta({
      description:
        "`interrupted`: the node running it stopped or died before it finished; the next sync, once the lease expired, marked it.",
    }),
    startedAt: instantSchema,
    finishedAt: instantSchema.nullable(),
    details: z.object({
      added: z.array(z.string()),
      updated: z.array(z.string()),
      removed: z.array(z.string()),
      skipped: z.array(z.object({ ref: z.string(), reason: z.string() })),
      moved: z.array(z.object({ ref: z.string(), from: z.string(), to: z.string() })),
      upstream: upstreamSyncCountsSchema.optional().meta({ description: "composer upstreams only." }),
    }),
    error: z.string().nullable(),
    progress: syncProgressSchema.nullable().meta({
      description: "While `running`: where the sync is (null before its first report and once it ended).",
    }),
  })
  .meta({ id: "SyncRun", description: "One sync: what it added, updated, removed, skipped and why." });

export const syncRunListSchema = z.object({ syncs: z.array(syncRunSchema) });

/** The most runs one answer lists, and how many it lists unless asked. */
export const SYNC_RUN_LIMIT = { default: 20, max: 100 } as const;

export const syncRunListQuerySchema = z.object({
  limit: wholeNumberParameter(
    1,
    SYNC_RUN_LIMIT.max,
    `Runs to list, newest first, 1-${SYNC_RUN_LIMIT.max} (default ${SYNC_RUN_LIMIT.default}).`,
  ),
});

export const upstreamReportSchema = z
  .object({
    lastSuccessAt: instantSchema.nullable(),
    lastFailureAt: instantSchema.nullable(),
    lastError: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    coolingDownUntil: instantSchema
      .nullable()
      .meta({ description: "While in the future, the upstream is not asked; stored answers are served." }),
    cachedPackages: z.number().int(),
    cachedDists: z.number().int(),
    integrityConflicts: z.number().int(),
  })
  .meta({
    id: "UpstreamReport",
    description:
      "A composer upstream's recent answers as the node that answers saw them (each node keeps its own), and what the store holds of it.",
  });

export const repositoryDetailSchema = publicRepositorySchema
  .extend({
    upstream: upstreamReportSchema
      .nullable()
      .meta({ description: "composer: the upstream's health and store; null for git repositories." }),
  })
  .meta({
    id: "RepositoryDetail",
    description: "A package source with, for an upstream, its health; never its credentials.",
  });

const servedIdentity = {
  reference: z.string().nullable(),
  shasum: z.string().nullable(),
  sourceReference: z.string().nullable(),
};

export const integrityConflictSchema = z
  .object({
    package: z.string(),
    version: z.string().meta({ description: "The normalized version." }),
    firstSeenAt: instantSchema,
    firstSeen: z
      .object({ ...servedIdentity, distSha256: z.string().nullable(), distSha1: z.string().nullable() })
      .meta({ description: "What the broker keeps serving; the stored dist's hashes once downloaded." }),
    conflicting: z.object(servedIdentity).meta({ description: "What the upstream served later." }),
    seenAt: instantSchema.nullable().meta({ description: "When the upstream last served it differently." }),
  })
  .meta({
    id: "IntegrityConflict",
    description: "A version an upstream changed after the broker first saw it.",
  });

export const integrityConflictListSchema = z.object({ conflicts: z.array(integrityConflictSchema) });

const upstreamRef = z.object({ id: z.string(), name: z.string() });

export const nameConflictSchema = z
  .object({
    package: z.string(),
    servedBy: upstreamRef.meta({ description: "The upstream first in priority: it serves the name." }),
    shadowed: upstreamRef.meta({
      description: "A later upstream that has the name too; never asked for it.",
    }),
    firstSeenAt: instantSchema,
  })
  .meta({ id: "NameConflict", description: "A package name two composer upstreams both have." });

export const nameConflictListSchema = z.object({ conflicts: z.array(nameConflictSchema) });
