import type { AlertInbox } from "../../audit/alerts/alert-inbox.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import {
  acknowledgementSchema,
  alertListQuerySchema,
  alertPageSchema,
  alertRulesSchema,
  alertSchema,
} from "./alert-schemas.ts";

const ID = { id: "The alert's id (alt_...)." };

/** /api/alerts (`audit:read` to look, `settings:manage` to acknowledge): what the alert rules raised. */
export function alertRoutes(deps: {
  alerts: AlertInbox;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/alerts",
    tag: "Alerts",
    tagDescription: "What the alert rules raised over the audit log, and the rules themselves.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "listAlerts",
      summary: "List alerts",
      description: "Newest first, in pages; `status` filters open or acknowledged ones.",
      access: "audit:read",
      query: alertListQuerySchema,
      responses: { 200: { description: "A page of alerts.", schema: alertPageSchema } },
    },
    async (c, { query }) => c.json(await deps.alerts.list(query)),
  );

  api.add(
    {
      method: "get",
      path: "/rules",
      operationId: "listAlertRules",
      summary: "The rules in force",
      description: "Each rule, and all of them as Sigma YAML (docs/alert-rules.md).",
      access: "audit:read",
      responses: { 200: { description: "The rules.", schema: alertRulesSchema } },
    },
    (c) =>
      c.json({
        rules: deps.alerts.rules().map((rule) => ({
          id: rule.id,
          name: rule.name,
          title: rule.title,
          kind: rule.kind,
          level: rule.level,
          description: rule.description ?? null,
          response: rule.response?.action ?? null,
        })),
        sigma: deps.alerts.sigma(),
      }),
  );

  api.add(
    {
      method: "get",
      path: "/:id",
      operationId: "getAlert",
      summary: "One alert",
      access: "audit:read",
      params: ID,
      responses: {
        200: { description: "The alert.", schema: alertSchema },
        404: problemResponse("No such alert."),
      },
    },
    async (c, { params }) => c.json(await deps.alerts.get(params.id)),
  );

  api.add(
    {
      method: "post",
      path: "/:id/acknowledge",
      operationId: "acknowledgeAlert",
      summary: "Acknowledge an alert",
      access: "settings:manage",
      audit: { event: "alert", action: "acknowledged", target: "alert" },
      params: ID,
      body: acknowledgementSchema,
      responses: {
        200: { description: "The alert, acknowledged.", schema: alertSchema },
        404: problemResponse("No such alert."),
        409: problemResponse("Acknowledged already."),
      },
    },
    async (c, { params, body }) =>
      c.json(await deps.alerts.acknowledge(params.id, body.note ?? null, c.get("audit"))),
  );

  return api;
}
