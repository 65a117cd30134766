import { z } from "zod";
import { instantSchema, pageQueryFields } from "../openapi/common-schemas.ts";

export const jobRunSchema = z
  .object({
    id: z.string(),
    job: z.string(),
    holder: z.string().meta({ description: "`host:pid:random` of the process that ran it." }),
    startedAt: instantSchema,
    finishedAt: instantSchema,
    outcome: z.enum(["succeeded", "failed"]),
    summary: z.record(z.string(), z.unknown()).meta({ description: "What the round did (counts)." }),
    error: z.string().nullable(),
  })
  .meta({ id: "JobRun", description: "A round of a background job that did something or failed." });

export const jobStatusSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    intervalSeconds: z.number().meta({ description: "How often a node tries to run it; 0: on demand only." }),
    state: z.enum(["held", "free"]).meta({
      description:
        "`held`: a process holds its lease now; `free`: none does (no server, or the holder died).",
    }),
    holder: z.string().nullable(),
    leaseUntil: instantSchema.nullable(),
    lastTickAt: instantSchema
      .nullable()
      .meta({ description: "When a process last took or renewed the lease." }),
    lastRun: jobRunSchema.nullable(),
  })
  .meta({ id: "JobStatus", description: "A background job, who runs it, and its latest run." });

export const jobListSchema = z.object({ jobs: z.array(jobStatusSchema) });

export const jobRunPageSchema = z.object({
  runs: z.array(jobRunSchema),
  nextCursor: z.string().nullable().meta({ description: "The next page's cursor; null on the last." }),
});

export const jobRunQuerySchema = z.strictObject(pageQueryFields("Runs"));
