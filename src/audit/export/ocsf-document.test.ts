import { describe, expect, it } from "vitest";
import {
  download,
  everyRecordedVariant,
  exampleEvents,
  hostile,
  packagesJsonBare,
  settingChanged,
  tokenInvalid,
  tokenRevoked,
} from "../../../test/builders/audit-event-examples.ts";
import type { AuditEvent } from "../audit-event.ts";
import { ocsfClassification, toOcsf } from "./ocsf-document.ts";
import { packageBrokerProduct } from "./product-info.ts";

/**
 * What the OCSF schema (github.com/ocsf/ocsf-schema: categories.json, events/iam/authentication.json,
 * events/iam/account_change.json, events/application/api_activity.json,
 * events/application/application_lifecycle.json, the base event's enums) allows for the classes used.
 */
interface ClassRules {
  readonly category: number;
  readonly activities: readonly number[];
  /** Top-level attributes of the class beyond the base event. */
  readonly attributes: readonly string[];
  readonly required: readonly string[];
}

const BASE_ATTRIBUTES = [
  "activity_id",
  "activity_name",
  "category_name",
  "category_uid",
  "class_name",
  "class_uid",
  "count",
  "duration",
  "end_time",
  "enrichments",
  "message",
  "metadata",
  "observables",
  "raw_data",
  "severity",
  "severity_id",
  "start_time",
  "status",
  "status_code",
  "status_detail",
  "status_id",
  "time",
  "timezone_offset",
  "type_name",
  "type_uid",
  "unmapped",
];
const BASE_REQUIRED = [
  "activity_id",
  "category_uid",
  "class_uid",
  "metadata",
  "severity_id",
  "time",
  "type_uid",
];
const IAM_ATTRIBUTES = ["actor", "http_request", "http_response", "src_endpoint"];

const OCSF_CLASSES: Readonly<Record<number, ClassRules>> = {
  3001: {
    category: 3,
    activities: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 99],
    attributes: [...IAM_ATTRIBUTES, "user", "user_result", "policies", "auth_factors"],
    required: ["user"],
  },
  3002: {
    category: 3,
    activities: [0, 1, 2, 3, 4, 5, 6, 7, 99],
    attributes: [
      ...IAM_ATTRIBUTES,
      "user",
      "service",
      "dst_endpoint",
      "auth_protocol",
      "auth_protocol_id",
      "is_remote",
      "is_mfa",
      "logon_type_id",
      "session",
    ],
    required: ["user"],
  },
  6002: { category: 6, activities: [0, 1, 2, 3, 4, 5, 6, 7, 8, 99], attributes: ["app"], required: ["app"] },
  6003: {
    category: 6,
    activities: [0, 1, 2, 3, 4, 99],
    attributes: [
      "actor",
      "api",
      "src_endpoint",
      "dst_endpoint",
      "http_request",
      "http_response",
      "resources",
    ],
    required: ["actor", "api", "src_endpoint"],
  },
};
const OCSF_CATEGORIES: Readonly<Record<number, string>> = {
  1: "System Activity",
  2: "Findings",
  3: "Identity & Access Management",
  4: "Network Activity",
  5: "Discovery",
  6: "Application Activity",
};
const OCSF_SEVERITIES: Readonly<Record<number, string>> = {
  0: "Unknown",
  1: "Informational",
  2: "Low",
  3: "Medium",
  4: "High",
  5: "Critical",
  6: "Fatal",
  99: "Other",
};
const OCSF_STATUSES: Readonly<Record<number, string>> = {
  0: "Unknown",
  1: "Success",
  2: "Failure",
  99: "Other",
};
const OCSF_AUTH_PROTOCOLS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99];
/** network_endpoint: at least one of these. */
const ENDPOINT_IDENTIFIERS = [
  "ip",
  "uid",
  "name",
  "hostname",
  "svc_name",
  "instance_uid",
  "interface_uid",
  "interface_name",
  "domain",
];

const product = packageBrokerProduct("1.4.2", "broker.example.com");
const metadataOf = (event: AuditEvent) => ({
  version: "1.7.0",
  product: { name: "package-broker", vendor_name: "PACKAGE.broker", version: "1.4.2" },
  uid: event.id,
  sequence: event.seq,
  log_name: "package_broker.audit",
  event_code: `${event.event}.${event.action}`,
});
const unmappedOf = (event: AuditEvent) => ({
  schema_version: 1,
  event: event.event,
  action: event.action,
  outcome: event.outcome,
  severity: event.severity,
  actor: event.actor,
  target: event.target,
  details: event.details,
});

describe("toOcsf", () => {
  it("maps an invalid token to an Authentication Logon that failed (golden)", () => {
    expect(toOcsf(tokenInvalid, product)).toEqual({
      class_uid: 3002,
      class_name: "Authentication",
      category_uid: 3,
      category_name: "Identity & Access Management",
      activity_id: 1,
      activity_name: "Logon",
      type_uid: 300201,
      type_name: "Authentication: Logon",
      severity_id: 1,
      severity: "Informational",
      status_id: 2,
      status: "Failure",
      status_code: "InvalidToken",
      status_detail: "Unknown or malformed token",
      time: 1772356361004,
      timezone_offset: 0,
      message: "authentication.token_invalid failure",
      metadata: metadataOf(tokenInvalid),
      actor: { user: { uid: "pb_Zz9y…0000" } },
      src_endpoint: { name: "192.0.2.0/24" },
      http_request: { uid: "req_01KB3V9Q8D0000000000000001", user_agent: "curl/8.5.0" },
      dst_endpoint: { hostname: "broker.example.com" },
      user: { uid: "pb_Zz9y…0000" },
      service: { name: "package-broker", version: "1.4.2" },
      is_remote: true,
      auth_protocol_id: 99,
      auth_protocol: "bearer",
      unmapped: unmappedOf(tokenInvalid),
    });
  });

  it("maps a download to an API Activity Read with the package as resource (golden)", () => {
    expect(toOcsf(download, packageBrokerProduct("1.4.2"))).toEqual({
      class_uid: 6003,
      class_name: "API Activity",
      category_uid: 6,
      category_name: "Application Activity",
      activity_id: 2,
      activity_name: "Read",
      type_uid: 600302,
      type_name: "API Activity: Read",
      severity_id: 1,
      severity: "Informational",
      status_id: 1,
      status: "Success",
      time: 1772356364512,
      timezone_offset: 0,
      message: "package_access.download success",
      metadata: metadataOf(download),
      actor: { user: { uid: "pb_Ab3d…x9Yz" } },
      src_endpoint: { ip: "203.0.113.7" },
      http_request: {
        uid: "req_01KB3V9Q8D0000000000000003",
        user_agent: "Composer/2.5.5 (Linux; 6.1; PHP 8.2.7; cURL 7.88.1)",
      },
      http_response: { code: 200 },
      api: {
        operation: "package_access.download",
        service: { name: "package-broker", version: "1.4.2" },
        request: { uid: "req_01KB3V9Q8D0000000000000003" },
      },
      resources: [{ type: "package", name: "acme/widgets", version: "1.2.0.0" }],
      unmapped: unmappedOf(download),
    });
  });

  it("maps a setting change by the server to an API Activity Update (golden)", () => {
    expect(toOcsf(settingChanged, product)).toEqual({
      class_uid: 6003,
      class_name: "API Activity",
      category_uid: 6,
      category_name: "Application Activity",
      activity_id: 3,
      activity_name: "Update",
      type_uid: 600303,
      type_name: "API Activity: Update",
      severity_id: 3,
      severity: "Medium",
      status_id: 1,
      status: "Success",
      time: 1772356500000,
      timezone_offset: 0,
      message: "configuration.setting_changed success",
      metadata: metadataOf(settingChanged),
      actor: { user: { uid: "system" } },
      src_endpoint: { svc_name: "package-broker" },
      dst_endpoint: { hostname: "broker.example.com" },
      api: {
        operation: "configuration.setting_changed",
        service: { name: "package-broker", version: "1.4.2" },
      },
      resources: [{ type: "setting", name: "PB_AUDIT_IP_MODE" }],
      unmapped: unmappedOf(settingChanged),
    });
  });

  it("maps the server's start to Application Lifecycle Start, without attributes the class lacks", () => {
    const started: AuditEvent = { ...settingChanged, event: "system", action: "started", severity: "info" };
    const document = toOcsf(started, product);
    expect(document).toMatchObject({
      class_uid: 6002,
      activity_id: 3,
      activity_name: "Start",
      type_uid: 600203,
    });
    expect(document.app).toEqual({ name: "package-broker", vendor_name: "PACKAGE.broker", version: "1.4.2" });
    expect(document.actor).toBeUndefined();
    expect(document.src_endpoint).toBeUndefined();
  });

  it("keeps a refusal a Failure with its detail, and the original outcome in unmapped", () => {
    const document = toOcsf(tokenRevoked, product);
    expect(document).toMatchObject({ class_uid: 3002, status_id: 2, status: "Failure", severity_id: 3 });
    expect(document.src_endpoint).toEqual({ ip: "2001:db8::17" });
    expect((document.unmapped as { outcome: string }).outcome).toBe("denied");
    const hashed = toOcsf(hostile, product);
    expect(hashed.src_endpoint).toEqual({ uid: "hmac:0123456789abcdef0123456789abcdef" });
    expect(hashed.status_detail).toBe(hostile.details.reason);
  });

  it("uses only allowed classes, activities and enums, with every required attribute", () => {
    for (const event of [...everyRecordedVariant(), ...exampleEvents, packagesJsonBare]) {
      const document = toOcsf(event, product);
      const where = `${event.event}.${event.action} ${event.outcome}`;
      const rules = OCSF_CLASSES[document.class_uid as number];
      expect(rules, where).toBeDefined();
      expect(document.category_uid, where).toBe(rules!.category);
      expect(document.category_name, where).toBe(OCSF_CATEGORIES[rules!.category]);
      expect(rules!.activities, where).toContain(document.activity_id);
      expect(document.type_uid, where).toBe(
        (document.class_uid as number) * 100 + (document.activity_id as number),
      );
      expect(document.severity, where).toBe(OCSF_SEVERITIES[document.severity_id as number]);
      expect(document.status, where).toBe(OCSF_STATUSES[document.status_id as number]);
      expect(Number.isInteger(document.time), where).toBe(true);
      for (const key of Object.keys(document))
        expect([...BASE_ATTRIBUTES, ...rules!.attributes], where).toContain(key);
      const required = [...BASE_REQUIRED, ...rules!.required];
      // An HTTP client whose address PB_AUDIT_IP_MODE=none removed has no endpoint (see the docs).
      const anonymousSource =
        event.ip_address === null && document.class_uid === 6003 && event.request_id !== null;
      for (const key of required) {
        if (key === "src_endpoint" && anonymousSource) continue;
        expect(document, `${where}: ${key}`).toHaveProperty(key);
      }
      if (document.src_endpoint !== undefined) {
        const keys = Object.keys(document.src_endpoint as object);
        expect(
          keys.some((key) => ENDPOINT_IDENTIFIERS.includes(key)),
          where,
        ).toBe(true);
      }
      if (document.class_uid === 3002) {
        expect(OCSF_AUTH_PROTOCOLS, where).toContain(document.auth_protocol_id);
        expect(document.service ?? document.dst_endpoint, where).toBeDefined();
      }
    }
  });

  it("loses nothing: mapped and unmapped attributes give back the envelope", () => {
    for (const event of [...exampleEvents, packagesJsonBare]) {
      const document = toOcsf(event, product) as {
        time: number;
        metadata: { uid: string; sequence: number };
        actor?: { user: { uid: string } };
        src_endpoint?: { ip?: string; uid?: string; name?: string };
        http_request?: { uid?: string; user_agent?: string };
        unmapped: Record<string, unknown>;
      };
      const {
        schema_version,
        event: category,
        action,
        outcome,
        severity,
        actor,
        target,
        details,
      } = document.unmapped;
      expect({
        schema_version,
        id: document.metadata.uid,
        seq: document.metadata.sequence,
        timestamp: new Date(document.time).toISOString(),
        event: category,
        action,
        severity,
        outcome,
        user: document.actor?.user.uid,
        actor,
        ip_address:
          document.src_endpoint?.ip ?? document.src_endpoint?.uid ?? document.src_endpoint?.name ?? null,
        user_agent: document.http_request?.user_agent ?? null,
        request_id: document.http_request?.uid ?? null,
        target,
        details,
      }).toEqual(event);
    }
  });

  it("classifies actions added later by their category", () => {
    expect(ocsfClassification({ ...download, action: "something_new" })).toMatchObject({ activityId: 99 });
    expect(toOcsf({ ...download, event: "repository", action: "sync_started" }, product)).toMatchObject({
      class_uid: 6003,
      activity_id: 99,
      activity_name: "sync_started",
      type_uid: 600399,
      type_name: "API Activity: Other",
    });
    expect(toOcsf({ ...tokenRevoked, action: "scope_denied" }, product)).toMatchObject({
      class_uid: 6003,
      activity_id: 99,
      status_id: 2,
    });
    expect(
      toOcsf(
        { ...settingChanged, event: "user", action: "created", target: { type: "user", id: "u1" } },
        product,
      ),
    ).toMatchObject({
      class_uid: 3001,
      activity_id: 1,
      user: { uid: "u1" },
    });
  });
});
