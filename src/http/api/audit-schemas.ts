import { z } from "zod";
import { auditCategories } from "../../audit/audit-event.ts";
import { instantSchema } from "../openapi/common-schemas.ts";

/**
 * A stored audit event. Its full JSON Schema is schemas/audit-event.v1.json, which the OpenAPI
 * document embeds as the `AuditEvent` component (openapi-routes.ts); this placeholder names it.
 */
export const auditEventSchema = z
  .record(z.string(), z.unknown())
  .meta({ id: "AuditEvent", description: "One audit event (schemas/audit-event.v1.json)." });

export const searchQuerySchema = z.object({
  q: z.string().optional().meta({ description: "A query (docs/audit-search.md); empty: every event." }),
  limit: z.string().optional().meta({ description: "Events per page, 1-1000 (default 100)." }),
  cursor: z.string().optional().meta({ description: "`next_cursor` of the previous page." }),
  order: z.string().optional().meta({ description: "`desc` (newest first, default) or `asc`." }),
});

export const searchPageSchema = z.object({
  events: z.array(auditEventSchema),
  next_cursor: z.string().nullable().meta({ description: "The next page's cursor; null on the last." }),
});

export const histogramQuerySchema = z.object({
  q: z.string().optional().meta({ description: "A query (docs/audit-search.md); empty: every event." }),
  buckets: z.string().optional().meta({ description: "At most this many buckets, 1-500 (default 60)." }),
  from: z.string().optional().meta({
    description:
      "Start of the range, inclusive (`YYYY-MM-DD` or a time with a zone); default: the first match.",
  }),
  to: z.string().optional().meta({
    description: "End of the range, exclusive; default: just after the last match.",
  }),
});

export const histogramSchema = z
  .object({
    from: instantSchema
      .nullable()
      .meta({ description: "Start of the range counted; null: nothing matched." }),
    to: z.string().nullable().meta({ description: "End of the range counted (exclusive), ISO 8601." }),
    bucketSeconds: z.number().int().nullable().meta({ description: "Seconds per bucket; null: no bucket." }),
    total: z.number().int().meta({ description: "Events counted in the range." }),
    buckets: z.array(
      z.object({
        start: z
          .string()
          .meta({ description: "The bucket's start (ISO 8601); it ends where the next starts." }),
        count: z.number().int(),
      }),
    ),
  })
  .meta({ id: "AuditHistogram", description: "A search's events counted over time." });

export const exportQuerySchema = z.object({
  format: z.string().optional().meta({
    description:
      "`jsonl` (default), `csv`, `ecs`, `ocsf`, `cef`, or `bundle` (verifiable offline; docs/audit-export.md).",
  }),
  q: z.string().optional().meta({ description: "A query; empty: every event." }),
});

export const rawIpSchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  state: z.enum(["kept", "shredded", "not-kept"]),
  ip_address: z.string().nullable(),
});

export const proofQuerySchema = z.object({
  size: z.string().optional().meta({ description: "Tree size; default: the latest checkpoint." }),
});

export const inclusionProofSchema = z
  .object({
    event: auditEventSchema,
    leafIndex: z.number().int(),
    leafHash: z.string(),
    treeSize: z.number().int(),
    rootHash: z.string(),
    proof: z.array(z.string()),
    checkpoint: z.string().nullable(),
  })
  .meta({ id: "InclusionProof", description: "An RFC 6962 inclusion proof (hashes in hex)." });

export const consistencyQuerySchema = z.object({
  from: z.string().optional().meta({ description: "The smaller tree size (required)." }),
  to: z.string().optional().meta({ description: "The larger tree size; default: the latest checkpoint." }),
});

export const consistencyProofSchema = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    fromRoot: z.string(),
    toRoot: z.string(),
    proof: z.array(z.string()),
    checkpoints: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
  })
  .meta({ id: "ConsistencyProof", description: "An RFC 6962 consistency proof (hashes in hex)." });

export const verifyResultSchema = z
  .union([
    z.object({
      ok: z.literal(true),
      size: z.number().int(),
      checkpoint: z.object({ size: z.number().int(), rootHash: z.string(), note: z.string() }).nullable(),
    }),
    z.object({
      ok: z.literal(false),
      firstBadSeq: z.number().int(),
      reason: z.enum(["hash-mismatch", "gap", "reorder", "bad-signature", "inconsistent-checkpoint"]),
      detail: z.string(),
    }),
  ])
  .meta({ id: "VerifyResult", description: "The verdict of verifying the stored log." });

const category = z.enum(auditCategories);
export const retentionDaysSchema = z
  .record(category, z.number().int())
  .meta({ id: "RetentionDays", description: "Days each category's events keep their payload." });

export const legalHoldSchema = z
  .object({
    active: z.boolean(),
    reason: z.string().nullable(),
    since: instantSchema.nullable(),
    by: z.string().nullable(),
  })
  .meta({ id: "LegalHold", description: "While active, nothing is purged." });

export const retentionStatusSchema = z.object({
  days: retentionDaysSchema,
  legalHold: legalHoldSchema,
  categories: z.array(
    z.object({
      category,
      retained: z.number().int(),
      purged: z.number().int(),
      oldestRetained: instantSchema.nullable(),
      purgeBefore: instantSchema,
    }),
  ),
});

export const purgeReportSchema = z.object({
  trigger: z.enum(["manual", "schedule"]),
  purged: z.number().int(),
  categories: z.array(
    z.object({
      category,
      before: instantSchema,
      purged: z.number().int(),
      firstSeq: z.number().int().nullable(),
      lastSeq: z.number().int().nullable(),
    }),
  ),
  heldForSinks: z.array(category).meta({
    description:
      "Categories with events old enough to purge that stay because an audit sink has not received them yet.",
  }),
});

/** The policy change is checked by the retention itself (one place for the rules, also the CLI's). */
export const retentionChangeSchema = z
  .object({
    days: z
      .record(z.string(), z.unknown())
      .meta({ description: 'Days per category to change, e.g. `{"authentication": 730}`.' }),
  })
  .strict();

export const legalHoldRequestSchema = z
  .object({ reason: z.string().meta({ description: "Why (a case number, a request)." }) })
  .strict();
