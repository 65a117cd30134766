import { describe, expect, it } from "vitest";
import { AUDIT_SCHEMA_VERSION, auditCategories, type AuditEvent } from "../../src/audit/audit-event.ts";
import { auditEventSchema, auditSchemaErrors, expectValidAuditEvent } from "../support/audit-schema.ts";

const valid: AuditEvent = {
  schema_version: 1,
  id: "01JGZ3Q5X8N7M2K4H6F9D0C1B3",
  seq: 1,
  timestamp: "2026-01-01T00:00:00.000Z",
  event: "package_access",
  action: "download_denied",
  severity: "warning",
  outcome: "denied",
  user: "pb_abcd…wxyz",
  actor: { type: "token", id: "pb_abcd…wxyz", auth_method: "basic" },
  ip_address: "192.0.2.0/24",
  user_agent: "Composer/2.5.5",
  request_id: "req_01JGZ3Q5X8N7M2K4H6F9D0C1B3",
  target: { type: "package", name: "acme/widget", version: "1.0.0" },
  details: { status: 403, code: "PackageNotAllowed" },
};

describe("schemas/audit-event.v1.json", () => {
  it("is a draft 2020-12 schema with an $id, for the envelope this code writes", () => {
    expect(auditEventSchema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(auditEventSchema.$id).toMatch(/v1$/);
    const properties = (
      auditEventSchema as unknown as { properties: Record<string, { const?: unknown; enum?: unknown }> }
    ).properties;
    expect(properties.schema_version?.const).toBe(AUDIT_SCHEMA_VERSION);
    expect(properties.event?.enum).toEqual([...auditCategories]);
  });

  it("accepts a complete event, and the nullable members as null", () => {
    expectValidAuditEvent(valid);
    expectValidAuditEvent({ ...valid, ip_address: null, user_agent: null, request_id: null, target: null });
    expectValidAuditEvent({ ...valid, target: { type: "server" }, details: {} });
  });

  it.each<[string, Record<string, unknown>]>([
    ["an unknown member", { ...valid, extra: 1 }],
    ["a missing member", Object.fromEntries(Object.entries(valid).filter(([key]) => key !== "request_id"))],
    ["another schema version", { ...valid, schema_version: 2 }],
    ["an id that is not a ULID", { ...valid, id: "01jgz3q5x8n7m2k4h6f9d0c1b3" }],
    ["an id with a letter Crockford excludes", { ...valid, id: "01JGZ3Q5X8N7M2K4H6F9D0C1BU" }],
    ["seq 0", { ...valid, seq: 0 }],
    ["a fractional seq", { ...valid, seq: 1.5 }],
    ["a timestamp without milliseconds", { ...valid, timestamp: "2026-01-01T00:00:00Z" }],
    ["a timestamp with an offset", { ...valid, timestamp: "2026-01-01T01:00:00.000+01:00" }],
    ["an impossible date", { ...valid, timestamp: "2026-02-30T00:00:00.000Z" }],
    ["an unknown category", { ...valid, event: "login" }],
    ["an action that is not snake_case", { ...valid, action: "downloadDenied" }],
    ["an unknown severity", { ...valid, severity: "critical" }],
    ["an unknown outcome", { ...valid, outcome: "error" }],
    ["an actor with an unknown type", { ...valid, actor: { ...valid.actor, type: "robot" } }],
    ["an actor with an extra member", { ...valid, actor: { ...valid.actor, secret: "pb_x" } }],
    ["a target without a type", { ...valid, target: { name: "acme/widget" } }],
    ["a target with an extra member", { ...valid, target: { type: "package", url: "x" } }],
    ["details that are not an object", { ...valid, details: [] }],
    ["an empty user", { ...valid, user: "" }],
  ])("refuses %s", (_, event) => {
    expect(auditSchemaErrors(event)).not.toEqual([]);
  });
});
