import fc from "fast-check";
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
import type { AuditEvent, AuditOutcome, AuditSeverity } from "../audit-event.ts";
import { jsonLine } from "./jsonl-line.ts";
import {
  OCSF_LOG_NAME,
  OCSF_OTHER,
  OCSF_VERSION,
  ocsfClassification,
  ocsfSeverity,
  ocsfStatus,
  toOcsf,
  type OcsfClass,
} from "./ocsf-document.ts";
import { packageBrokerProduct, type ProductInfo } from "./product-info.ts";
import { storedAddress } from "./stored-address.ts";

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
    expect(toOcsf({ ...tokenRevoked, action: "role_denied" }, product)).toMatchObject({
      class_uid: 6003,
      activity_id: 99,
    });
    expect(toOcsf({ ...tokenRevoked, action: "logout", outcome: "success" }, product)).toMatchObject({
      class_uid: 3002,
      activity_id: 2,
      type_uid: 300202,
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

/**
 * The straightforward document the optimised toOcsf replaced (optional members spread from
 * temporary objects, class attributes merged with Object.assign, undefined members filtered
 * through Object.entries): the tests below hold toOcsf to it byte for byte, key order included,
 * as JSON (what the export writes).
 */
function referenceToOcsf(event: AuditEvent, info: ProductInfo): Record<string, unknown> {
  const { eventClass, activityId } = ocsfClassification(event);
  const caption = activityId === OCSF_OTHER ? "Other" : (eventClass.activities[activityId] ?? "Other");
  const severity =
    event.severity === "info"
      ? { id: 1, caption: "Informational" }
      : event.severity === "warning"
        ? { id: 3, caption: "Medium" }
        : { id: 4, caption: "High" };
  const status = event.outcome === "success" ? { id: 1, caption: "Success" } : { id: 2, caption: "Failure" };
  const code = event.details.code;
  const reason = event.details.reason;
  const statusDetail =
    typeof reason === "string" ? reason : event.outcome === "denied" ? "denied" : undefined;
  const key = `${event.event}.${event.action}`;
  const document: Record<string, unknown> = {
    class_uid: eventClass.uid,
    class_name: eventClass.name,
    category_uid: eventClass.categoryUid,
    category_name: eventClass.categoryName,
    activity_id: activityId,
    activity_name: activityId === OCSF_OTHER ? event.action : caption,
    type_uid: eventClass.uid * 100 + activityId,
    type_name: `${eventClass.name}: ${caption}`,
    severity_id: severity.id,
    severity: severity.caption,
    status_id: status.id,
    status: status.caption,
    ...(typeof code === "string" ? { status_code: code } : {}),
    ...(statusDetail === undefined ? {} : { status_detail: statusDetail }),
    time: Date.parse(event.timestamp),
    timezone_offset: 0,
    message: `${key} ${event.outcome}`,
    metadata: {
      version: OCSF_VERSION,
      product: { name: info.product, vendor_name: info.vendor, version: info.version },
      uid: event.id,
      sequence: event.seq,
      log_name: OCSF_LOG_NAME,
      event_code: key,
    },
  };
  if (eventClass.has.actor) document.actor = { user: { uid: event.user } };
  if (eventClass.has.network) {
    const address = storedAddress(event.ip_address);
    const local = event.actor.type === "system" || event.actor.type === "console";
    const source =
      address === null
        ? local
          ? { svc_name: info.product }
          : null
        : address.kind === "ipv4" || address.kind === "ipv6"
          ? { ip: address.value }
          : address.kind === "hmac"
            ? { uid: address.value }
            : { name: address.value };
    if (source !== null) document.src_endpoint = source;
    if (event.user_agent !== null || event.request_id !== null) {
      document.http_request = {
        ...(event.request_id === null ? {} : { uid: event.request_id }),
        ...(event.user_agent === null ? {} : { user_agent: event.user_agent }),
      };
    }
    const httpStatus = event.event === "package_access" ? event.details.status : undefined;
    if (typeof httpStatus === "number") document.http_response = { code: httpStatus };
  }
  if (eventClass.has.dstEndpoint && info.host !== undefined) {
    document.dst_endpoint = { hostname: info.host };
  }
  Object.assign(document, referenceClassAttributes(eventClass, event, info));
  document.unmapped = {
    schema_version: event.schema_version,
    event: event.event,
    action: event.action,
    outcome: event.outcome,
    severity: event.severity,
    actor: event.actor,
    target: event.target,
    details: event.details,
  };
  return document;
}

function referenceClassAttributes(
  eventClass: OcsfClass,
  event: AuditEvent,
  info: ProductInfo,
): Record<string, unknown> {
  const service = { name: info.product, version: info.version };
  const target = event.target;
  const withoutUndefined = (record: Record<string, string | undefined>): Record<string, string> => {
    const result: Record<string, string> = {};
    for (const [name, value] of Object.entries(record)) if (value !== undefined) result[name] = value;
    return result;
  };
  switch (eventClass.uid) {
    case 3002:
      return {
        user: { uid: event.user },
        service,
        is_remote: event.request_id !== null,
        ...(event.actor.auth_method === "none"
          ? { auth_protocol_id: 0, auth_protocol: "Unknown" }
          : { auth_protocol_id: OCSF_OTHER, auth_protocol: event.actor.auth_method }),
      };
    case 3001:
      return {
        user: target === null ? { uid: event.user } : withoutUndefined({ uid: target.id, name: target.name }),
      };
    case 6002:
      return { app: { name: info.product, vendor_name: info.vendor, version: info.version } };
    default:
      return {
        api: {
          operation: `${event.event}.${event.action}`,
          service,
          ...(event.request_id === null ? {} : { request: { uid: event.request_id } }),
        },
        ...(target === null
          ? {}
          : {
              resources: [
                withoutUndefined({
                  type: target.type,
                  uid: target.id,
                  name: target.name,
                  version: target.version,
                }),
              ],
            }),
      };
  }
}

/** Strings with what JSON and the line escaping treat specially, and plain ones. */
const text = fc.oneof(
  fc.string({
    unit: fc.constantFrom(...Array.from('a_./"\\\n\r\u0000\u007f\u0085\u2028\u2029é…'), "🎉", "\ud800"),
  }),
  fc.string(),
);
const maybe = fc.option(text);

/** Events that reach every class and optional member: each recorded action, every address kind. */
const eventArbitrary: fc.Arbitrary<AuditEvent> = fc
  .record({
    base: fc.constantFrom(
      ...everyRecordedVariant(),
      ...exampleEvents,
      // No `user` actions are recorded yet; the mapping has them (Account Change).
      ...["created", "enabled", "disabled", "deleted", "renamed"].map((action): AuditEvent => ({
        ...download,
        event: "user",
        action,
      })),
    ),
    severity: fc.constantFrom("info", "warning", "error"),
    user: text,
    actor: fc.record({
      type: fc.constantFrom("token", "user", "system", "anonymous", "console"),
      id: text,
      auth_method: fc.constantFrom("basic", "bearer", "session", "cli", "none"),
    }),
    ip_address: fc.oneof(
      fc.constant(null),
      fc.ipV4(),
      fc.ipV6(),
      fc.constantFrom("192.0.2.0/24", "2001:db8:1::/48", "hmac:0123456789abcdef0123456789abcdef", "=1+1"),
      text,
    ),
    user_agent: maybe,
    request_id: maybe,
    target: fc.option(
      fc.record({ type: text, id: text, name: text, version: text }, { requiredKeys: ["type"] }),
    ),
    details: fc.record(
      {
        reason: fc.oneof(text, fc.integer()),
        code: fc.oneof(text, fc.integer()),
        status: fc.oneof(fc.integer({ min: 100, max: 599 }), text),
        nested: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
  })
  .map(({ base, ...members }): AuditEvent => ({ ...base, ...members }));

describe("toOcsf against the straightforward reference", () => {
  const products = [product, packageBrokerProduct("1.4.2")];

  it("writes the same JSON for the examples and every recorded variant", () => {
    const variants = [...exampleEvents, ...everyRecordedVariant(), ...everyRecordedVariant(hostile)];
    for (const event of [
      ...variants,
      ...variants.map((variant) => ({ ...variant, event: "user" as const })),
    ]) {
      for (const info of products) {
        expect(jsonLine(toOcsf(event, info))).toBe(jsonLine(referenceToOcsf(event, info)));
      }
    }
  });

  it("writes the same JSON for any event (property)", () => {
    fc.assert(
      fc.property(eventArbitrary, fc.constantFrom(...products), (event, info) => {
        expect(jsonLine(toOcsf(event, info))).toBe(jsonLine(referenceToOcsf(event, info)));
      }),
      { numRuns: 1000 },
    );
  });

  it("gives the same severities and statuses", () => {
    expect(["info", "warning", "error"].map((s) => ocsfSeverity(s as AuditSeverity))).toEqual([
      { id: 1, caption: "Informational" },
      { id: 3, caption: "Medium" },
      { id: 4, caption: "High" },
    ]);
    expect(["success", "failure", "denied"].map((o) => ocsfStatus(o as AuditOutcome))).toEqual([
      { id: 1, caption: "Success" },
      { id: 2, caption: "Failure" },
      { id: 2, caption: "Failure" },
    ]);
  });
});
