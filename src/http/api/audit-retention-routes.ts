import { z } from "zod";
import type { AuditRetention } from "../../audit/retention/audit-retention.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import {
  legalHoldRequestSchema,
  legalHoldSchema,
  purgeReportSchema,
  retentionChangeSchema,
  retentionDaysSchema,
  retentionStatusSchema,
} from "./audit-schemas.ts";

/**
 * /api/audit/retention (`audit:read` to look, `settings:manage` to change): the retention policy,
 * the legal hold and the purge.
 */
export function auditRetentionRoutes(deps: {
  retention: AuditRetention;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/audit/retention",
    tag: "Audit retention",
    tagDescription: "How long events keep their payload, the legal hold, and the purge.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "getAuditRetention",
      summary: "Retention policy and status",
      description:
        "Days per category, the legal hold, and per category the retained and purged counts, the oldest retained event and the cut-off a purge would use now.",
      access: "audit:read",
      responses: { 200: { description: "The policy and its state.", schema: retentionStatusSchema } },
    },
    async (c) => c.json(await deps.retention.status()),
  );

  api.add(
    {
      method: "put",
      path: "/",
      operationId: "setAuditRetention",
      summary: "Change some categories' days",
      access: "settings:manage",
      audit: { event: "audit", action: "retention_changed", target: "audit_retention" },
      body: retentionChangeSchema,
      responses: {
        200: {
          description: "The whole policy as changed.",
          schema: z.object({ days: retentionDaysSchema }),
        },
      },
    },
    async (c, { body }) => c.json({ days: await deps.retention.setDays(c.get("audit"), body.days) }),
  );

  api.add(
    {
      method: "post",
      path: "/legal-hold",
      operationId: "placeLegalHold",
      summary: "Place the legal hold",
      access: "settings:manage",
      audit: { event: "audit", action: "legal_hold_placed", target: "audit_retention" },
      body: legalHoldRequestSchema,
      responses: { 201: { description: "The hold.", schema: legalHoldSchema } },
    },
    async (c, { body }) => c.json(await deps.retention.hold(c.get("audit"), body.reason), 201),
  );

  api.add(
    {
      method: "delete",
      path: "/legal-hold",
      operationId: "releaseLegalHold",
      summary: "Release the legal hold",
      access: "settings:manage",
      audit: { event: "audit", action: "legal_hold_released", target: "audit_retention" },
      responses: { 200: { description: "The hold, released.", schema: legalHoldSchema } },
    },
    async (c) => c.json(await deps.retention.release(c.get("audit"))),
  );

  api.add(
    {
      method: "post",
      path: "/purge",
      operationId: "purgeAuditLog",
      summary: "Purge now",
      description: "Clears the payload of events past their category's days; their leaf hashes stay.",
      access: "settings:manage",
      audit: { event: "audit", action: "retention_purged", target: "audit_retention" },
      responses: {
        200: { description: "What was purged.", schema: purgeReportSchema },
        409: problemResponse("Under legal hold, or another purge is running."),
      },
    },
    async (c) => c.json(await deps.retention.purge(c.get("audit"), "manual")),
  );

  return api;
}
