import type { AuditSinks } from "../../audit/sinks/audit-sinks.ts";
import { newSinkSchema, secretRotationSchema, sinkChangeSchema } from "../../audit/sinks/sink-input.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import { parkedListSchema, sinkListSchema, sinkSchema, sinkTestResultSchema } from "./audit-sink-schemas.ts";

const ID = { id: "The sink's id (snk_...)." };

/**
 * /api/audit/sinks (`audit:read` to look, `settings:manage` to change): where the audit log is
 * forwarded, each receiver's lag, last error and parked records (docs/audit-forwarding.md).
 */
export function auditSinkRoutes(deps: {
  sinks: AuditSinks;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/audit/sinks",
    tag: "Audit sinks",
    tagDescription: "Forwarding the audit log to SIEMs: receivers, their health, and what they refused.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "listAuditSinks",
      summary: "List sinks",
      description: "Every sink with its lag in events and seconds, last success and last error.",
      access: "audit:read",
      responses: { 200: { description: "Every sink.", schema: sinkListSchema } },
    },
    async (c) => c.json({ sinks: await deps.sinks.list() }),
  );

  api.add(
    {
      method: "post",
      path: "/",
      operationId: "addAuditSink",
      summary: "Add a sink",
      description:
        "Credentials (the token, a webhook's signing secret, a password in the URL) are stored encrypted and never shown again. Delivery starts within a second, from the oldest retained event unless `from` is `now`.",
      access: "settings:manage",
      audit: { event: "audit", action: "sink_created", target: "audit_sink" },
      body: newSinkSchema,
      responses: {
        201: { description: "The sink.", schema: sinkSchema },
        409: problemResponse("A sink of that name exists already."),
      },
    },
    async (c, { body }) => c.json(await deps.sinks.add(body, c.get("audit")), 201),
  );

  api.add(
    {
      method: "get",
      path: "/:id",
      operationId: "getAuditSink",
      summary: "One sink",
      access: "audit:read",
      params: ID,
      responses: {
        200: { description: "The sink.", schema: sinkSchema },
        404: problemResponse("No such sink."),
      },
    },
    async (c, { params }) => c.json(await deps.sinks.get(params.id)),
  );

  api.add(
    {
      method: "patch",
      path: "/:id",
      operationId: "updateAuditSink",
      summary: "Change, pause or resume a sink",
      description: "A paused sink keeps its place; on resume it delivers everything it missed.",
      access: "settings:manage",
      audit: { event: "audit", action: "sink_updated", target: "audit_sink" },
      params: ID,
      body: sinkChangeSchema,
      responses: {
        200: { description: "The sink as changed.", schema: sinkSchema },
        404: problemResponse("No such sink."),
        409: problemResponse("A sink of that name exists already."),
      },
    },
    async (c, { params, body }) => c.json(await deps.sinks.update(params.id, body, c.get("audit"))),
  );

  api.add(
    {
      method: "delete",
      path: "/:id",
      operationId: "removeAuditSink",
      summary: "Remove a sink",
      description: "Its cursor and parked records go with it; the removal is an audit event.",
      access: "settings:manage",
      audit: { event: "audit", action: "sink_removed", target: "audit_sink" },
      params: ID,
      responses: { 204: { description: "Removed." }, 404: problemResponse("No such sink.") },
    },
    async (c, { params }) => {
      await deps.sinks.remove(params.id, c.get("audit"));
      return c.body(null, 204);
    },
  );

  api.add(
    {
      method: "post",
      path: "/:id/test",
      operationId: "testAuditSink",
      summary: "Send a test event",
      description:
        "Sends one synthetic event (seq 0, action `sink_test`, not part of the log) now, whatever the backoff, and says how the receiver answered.",
      access: "settings:manage",
      audit: { event: "audit", action: "sink_tested", target: "audit_sink" },
      params: ID,
      responses: {
        200: { description: "How the delivery went.", schema: sinkTestResultSchema },
        404: problemResponse("No such sink."),
      },
    },
    async (c, { params }) => c.json(await deps.sinks.test(params.id, c.get("audit"))),
  );

  api.add(
    {
      method: "post",
      path: "/:id/rotate-secret",
      operationId: "rotateAuditSinkSecret",
      summary: "Rotate a webhook's signing secret",
      description:
        "The new secret signs from now on; the previous ones keep signing beside it for `overlapHours` (default 24), so receivers can switch without a failed delivery.",
      access: "settings:manage",
      audit: { event: "audit", action: "sink_secret_rotated", target: "audit_sink" },
      params: ID,
      body: secretRotationSchema,
      responses: {
        200: { description: "The sink, with its signing keys.", schema: sinkSchema },
        404: problemResponse("No such sink."),
      },
    },
    async (c, { params, body }) => c.json(await deps.sinks.rotateSecret(params.id, body, c.get("audit"))),
  );

  api.add(
    {
      method: "get",
      path: "/:id/parked",
      operationId: "listParkedAuditRecords",
      summary: "Records the receiver refused",
      description: "Oldest first, at most 1,000: each with the receiver's error.",
      access: "audit:read",
      params: ID,
      responses: {
        200: { description: "The parked records.", schema: parkedListSchema },
        404: problemResponse("No such sink."),
      },
    },
    async (c, { params }) => c.json({ parked: await deps.sinks.parked(params.id) }),
  );

  return api;
}
