import { redactUrlPassword } from "../../config/redact-url-password.ts";
import type { AuditSinkRow } from "../../storage/database/audit-sink-records.ts";
import type { AuditTrail } from "../audit-trail.ts";
import type { SinkCredentials } from "./sink-credentials.ts";

export function sinkTarget(row: AuditSinkRow): { type: string; id: string; name: string } {
  return { type: "audit_sink", id: row.id, name: row.name };
}

/** A sink's settings as its `sink_created` event records them: credentials only as set or unset. */
export function sinkSettingsDetails(
  row: AuditSinkRow,
  credentials: SinkCredentials,
): Record<string, unknown> {
  return {
    type: row.type,
    url: redactUrlPassword(row.url),
    format: row.format,
    options: JSON.parse(row.options) as unknown,
    token: credentials.token === undefined ? "unset" : "set",
    userinfo: credentials.userinfo === undefined ? "unset" : "set",
    signing_keys: (credentials.secrets ?? []).map((secret) => secret.keyId),
  };
}

/**
 * The events of a change to a sink: `sink_paused` / `sink_resumed` when its state flipped, and
 * `sink_updated` with `before` and `after` of the changed settings (credentials only as replaced).
 */
export async function recordSinkChange(
  trail: AuditTrail,
  before: AuditSinkRow,
  after: AuditSinkRow,
  credentialsChanged: boolean,
): Promise<void> {
  const target = sinkTarget(after);
  if (before.paused_at === null && after.paused_at !== null) {
    await trail.record({
      event: "audit",
      action: "sink_paused",
      outcome: "success",
      severity: "warning",
      target,
    });
  }
  if (before.paused_at !== null && after.paused_at === null) {
    await trail.record({ event: "audit", action: "sink_resumed", outcome: "success", target });
  }
  const fields = ["name", "url", "format", "options"] as const;
  const changed = fields.filter((field) => before[field] !== after[field]);
  if (changed.length === 0 && !credentialsChanged) return;
  const shown = (row: AuditSinkRow, field: (typeof fields)[number]): unknown =>
    field === "url" ? redactUrlPassword(row.url) : field === "options" ? JSON.parse(row.options) : row[field];
  await trail.record({
    event: "audit",
    action: "sink_updated",
    outcome: "success",
    target,
    details: {
      before: Object.fromEntries(changed.map((field) => [field, shown(before, field)])),
      after: Object.fromEntries(changed.map((field) => [field, shown(after, field)])),
      ...(credentialsChanged ? { credentials: "replaced" } : {}),
    },
  });
}
