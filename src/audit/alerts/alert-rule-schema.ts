import { z } from "zod";
import { alertLevels, alertResponseActions, correlationTypes, ruleStatuses } from "./alert-rule.ts";

/** The most events, distinct values or rules a correlation may count to (state is kept per count). */
export const MAX_THRESHOLD = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FIELD = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$/;

const text = (max: number) => z.string().min(1).max(max);
const fieldPath = z.string().max(200).regex(FIELD, "a field path such as actor.id or details.after.role");
const count = z.number().int().min(0).max(MAX_THRESHOLD);

/** Sigma's descriptive attributes, our two extensions (`response`, `suppress`), and the identity. */
const common = {
  title: text(256),
  id: z.string().regex(UUID, "a UUID such as 0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"),
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, "letters, digits, _ . - (at most 100)"),
  status: z.enum(ruleStatuses).default("experimental"),
  description: text(4000).optional(),
  level: z.enum(alertLevels).default("medium"),
  author: text(256).optional(),
  date: text(32).optional(),
  modified: text(32).optional(),
  license: text(256).optional(),
  references: z.array(text(1000)).max(50).optional(),
  tags: z.array(text(200)).max(50).optional(),
  falsepositives: z.array(text(1000)).max(50).optional(),
  response: z
    .union([
      z.enum(alertResponseActions),
      z.strictObject({ action: z.enum(alertResponseActions), subject: fieldPath }),
    ])
    .optional(),
  suppress: z.string().optional(),
};

export const baseRuleSchema = z.strictObject({
  ...common,
  logsource: z.strictObject({
    product: z.literal("package-broker"),
    service: z.literal("audit").optional(),
    category: text(100).optional(),
  }),
  detection: z.record(z.string(), z.unknown()),
});

export const correlationRuleSchema = z.strictObject({
  ...common,
  correlation: z.strictObject({
    type: z.enum(correlationTypes),
    rules: z.array(text(200)).min(1).max(20),
    "group-by": z.array(fieldPath).max(5).optional(),
    timespan: z.string(),
    condition: z
      .strictObject({
        gt: count.optional(),
        gte: count.optional(),
        lt: count.optional(),
        lte: count.optional(),
        eq: count.optional(),
        field: fieldPath.optional(),
      })
      .optional(),
    generate: z.boolean().optional(),
  }),
});

export type BaseRuleDocument = z.infer<typeof baseRuleSchema>;
export type CorrelationRuleDocument = z.infer<typeof correlationRuleSchema>;
