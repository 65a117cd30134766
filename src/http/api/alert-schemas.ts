import { z } from "zod";
import { instantSchema, pageQueryFields } from "../openapi/common-schemas.ts";

export const alertSchema = z
  .object({
    id: z.string(),
    ruleId: z.string(),
    ruleName: z.string(),
    title: z.string(),
    level: z.string().meta({ description: "informational, low, medium, high or critical (Sigma levels)." }),
    group: z.record(z.string(), z.string()).meta({ description: "The group-by fields and their values." }),
    count: z.number().int(),
    evidence: z
      .array(z.object({ id: z.string(), seq: z.number().int() }))
      .meta({ description: "The events the alert rests on (at most 50, oldest first)." }),
    firstTimestamp: instantSchema,
    lastTimestamp: instantSchema,
    firedAt: instantSchema,
    status: z.enum(["open", "acknowledged"]),
    acknowledgedAt: instantSchema.nullable(),
    acknowledgedBy: z.string().nullable(),
    note: z.string().nullable(),
    response: z
      .object({
        action: z.string(),
        subject: z.string().nullable(),
        outcome: z.enum(["done", "failed", "skipped"]),
        error: z.string().nullable(),
      })
      .nullable(),
    notifications: z.array(
      z.object({
        channel: z.string(),
        status: z.enum(["sent", "pending", "failed"]),
        attempts: z.number().int(),
        error: z.string().nullable(),
        sentAt: instantSchema.nullable(),
        nextAttemptAt: instantSchema.nullable(),
      }),
    ),
  })
  .meta({ id: "Alert", description: "An alert a rule raised (docs/alert-rules.md)." });

export const alertPageSchema = z.object({
  alerts: z.array(alertSchema),
  nextCursor: z.string().nullable().meta({ description: "The next page's cursor; null on the last." }),
});

export const alertListQuerySchema = z.strictObject({
  status: z.enum(["open", "acknowledged"]).optional(),
  ...pageQueryFields("Alerts"),
});

export const acknowledgementSchema = z.strictObject({
  note: z.string().max(1000).optional().meta({ description: "What was done about it." }),
});

export const alertRulesSchema = z.object({
  rules: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      title: z.string(),
      kind: z.enum(["base", "correlation"]),
      level: z.string(),
      description: z.string().nullable(),
      response: z.string().nullable(),
    }),
  ),
  sigma: z.string().meta({ description: "The rules as Sigma YAML, for a SOC's own SIEM." }),
});
