import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  download,
  everyRecordedVariant,
  exampleEvents,
  hostile,
  settingChanged,
  tokenInvalid,
  tokenRevoked,
} from "../../../test/builders/audit-event-examples.ts";
import type { AuditEvent } from "../audit-event.ts";
import {
  ECS_DATASET,
  ECS_MODULE,
  ECS_VERSION,
  ecsCategorization,
  ecsOutcome,
  numericSeverity,
  toEcs,
} from "./ecs-document.ts";
import { jsonLine } from "./jsonl-line.ts";
import { packageBrokerProduct, type ProductInfo } from "./product-info.ts";
import { storedAddress } from "./stored-address.ts";

/**
 * The allowed values of the ECS categorization fields, as published in the ECS reference
 * (https://www.elastic.co/docs/reference/ecs/ecs-allowed-values-event-category and
 * …-event-type, …-event-outcome; event.kind from the elastic/ecs schemas/event.yml).
 */
const ECS_KINDS = ["alert", "event", "metric", "state", "pipeline_error", "signal"];
const ECS_OUTCOMES = ["failure", "success", "unknown"];
const ECS_TYPES = [
  "access",
  "admin",
  "allowed",
  "change",
  "connection",
  "creation",
  "deletion",
  "denied",
  "device",
  "end",
  "error",
  "group",
  "indicator",
  "info",
  "installation",
  "protocol",
  "start",
  "user",
];
/** Each allowed event.category with its "expected event types". */
const ECS_EXPECTED_TYPES: Readonly<Record<string, readonly string[]>> = {
  api: [
    "access",
    "admin",
    "allowed",
    "change",
    "creation",
    "deletion",
    "denied",
    "end",
    "info",
    "start",
    "user",
  ],
  authentication: ["start", "end", "info"],
  configuration: ["access", "change", "creation", "deletion", "info"],
  database: ["access", "change", "info", "error"],
  driver: ["change", "end", "info", "start"],
  email: ["info"],
  file: ["access", "change", "creation", "deletion", "info"],
  host: ["access", "change", "end", "info", "start"],
  iam: ["admin", "change", "creation", "deletion", "group", "info", "user"],
  intrusion_detection: ["allowed", "denied", "info"],
  library: ["start"],
  malware: ["info"],
  network: ["access", "allowed", "connection", "denied", "end", "info", "protocol", "start"],
  package: ["access", "change", "deletion", "info", "installation", "start"],
  process: ["access", "change", "end", "info", "start"],
  registry: ["access", "change", "creation", "deletion"],
  session: ["start", "end", "info"],
  threat: ["indicator"],
  vulnerability: ["info"],
  web: ["access", "error", "info"],
};

const product = packageBrokerProduct("1.4.2", "broker.example.com");

interface EcsEvent {
  kind: string;
  category: string[];
  type: string[];
  outcome: string;
  action: string;
}

function ecsEvent(event: AuditEvent): EcsEvent {
  return (toEcs(event, product) as { event: EcsEvent }).event;
}

describe("toEcs", () => {
  it("maps a download with its package target (golden)", () => {
    expect(toEcs(download, product)).toEqual({
      "@timestamp": "2026-03-01T09:12:44.512Z",
      ecs: { version: "8.17.0" },
      event: {
        id: "01KB3V9Q8G7J5YF3Q2M1T6W0XZ",
        kind: "event",
        category: ["web"],
        type: ["access"],
        action: "package_access.download",
        outcome: "success",
        severity: 3,
        sequence: 1042,
        dataset: "package_broker.audit",
        module: "package_broker",
        provider: "package-broker",
      },
      log: { level: "info" },
      user: { id: "pb_Ab3d…x9Yz" },
      related: { user: ["pb_Ab3d…x9Yz"], ip: ["203.0.113.7"] },
      source: { ip: "203.0.113.7" },
      user_agent: { original: "Composer/2.5.5 (Linux; 6.1; PHP 8.2.7; cURL 7.88.1)" },
      http: { request: { id: "req_01KB3V9Q8D0000000000000003" }, response: { status_code: 200 } },
      package: { name: "acme/widgets", version: "1.2.0.0" },
      service: { name: "package-broker", version: "1.4.2" },
      host: { name: "broker.example.com" },
      labels: { outcome: "success", actor_type: "token", auth_method: "basic" },
      package_broker: { audit: download },
    });
  });

  it("maps a refused token: authentication failure, the refusal kept in labels (golden)", () => {
    expect(toEcs(tokenRevoked, packageBrokerProduct("1.4.2"))).toEqual({
      "@timestamp": "2026-03-01T09:12:42.250Z",
      ecs: { version: "8.17.0" },
      event: {
        id: "01KB3V9Q8G7J5YF3Q2M1T6W0XB",
        kind: "event",
        category: ["authentication"],
        type: ["start"],
        action: "authentication.token_revoked",
        outcome: "failure",
        severity: 6,
        sequence: 1041,
        dataset: "package_broker.audit",
        module: "package_broker",
        provider: "package-broker",
        reason: "The token was revoked",
      },
      log: { level: "warning" },
      user: { id: "pb_Ab3d…x9Yz" },
      related: { user: ["pb_Ab3d…x9Yz"], ip: ["2001:db8::17"] },
      source: { ip: "2001:db8::17" },
      user_agent: { original: "Composer/2.8.4 (Linux; 6.8.0; PHP 8.3.6; cURL 8.5.0)" },
      http: { request: { id: "req_01KB3V9Q8D0000000000000002" } },
      service: { name: "package-broker", version: "1.4.2" },
      labels: { outcome: "denied", actor_type: "token", auth_method: "basic" },
      package_broker: { audit: tokenRevoked },
    });
  });

  it("maps a setting change without request context (golden)", () => {
    expect(toEcs(settingChanged, packageBrokerProduct("1.4.2"))).toEqual({
      "@timestamp": "2026-03-01T09:15:00.000Z",
      ecs: { version: "8.17.0" },
      event: {
        id: "01KB3V9Q8G7J5YF3Q2M1T6W0Y0",
        kind: "event",
        category: ["configuration"],
        type: ["change"],
        action: "configuration.setting_changed",
        outcome: "success",
        severity: 6,
        sequence: 1043,
        dataset: "package_broker.audit",
        module: "package_broker",
        provider: "package-broker",
      },
      log: { level: "warning" },
      user: { id: "system" },
      related: { user: ["system"] },
      service: { name: "package-broker", version: "1.4.2" },
      labels: { outcome: "success", actor_type: "system", auth_method: "none" },
      package_broker: { audit: settingChanged },
    });
  });

  it("puts only real addresses in source.ip; a network or a pseudonym goes to a custom field", () => {
    const network = toEcs(tokenInvalid, product);
    expect(network.source).toBeUndefined();
    expect(network.related).toEqual({ user: ["pb_Zz9y…0000"] });
    expect(network.package_broker).toEqual({ audit: tokenInvalid, source: { ip_network: "192.0.2.0/24" } });

    const hashed = toEcs(hostile, product);
    expect(hashed.source).toBeUndefined();
    expect(hashed.package_broker).toEqual({
      audit: hostile,
      source: { ip_hmac: "hmac:0123456789abcdef0123456789abcdef" },
    });
    // Hostile strings are data: copied as they are, JSON escaping is the line writer's job.
    expect(hashed.user_agent).toEqual({ original: hostile.user_agent });
    expect(hashed.package).toEqual({ name: hostile.target!.name, version: hostile.target!.version });
  });

  it("categorises every recorded action with allowed values, types expected by their category", () => {
    const seen = new Set<string>();
    for (const event of [...everyRecordedVariant(), ...exampleEvents]) {
      const { kind, category, type, outcome, action } = ecsEvent(event);
      const where = `${action} ${event.outcome}`;
      expect(ECS_KINDS, where).toContain(kind);
      expect(ECS_OUTCOMES, where).toContain(outcome);
      expect(category.length, where).toBeGreaterThan(0);
      for (const value of category) expect(Object.keys(ECS_EXPECTED_TYPES), where).toContain(value);
      const expected = category.flatMap((value) => ECS_EXPECTED_TYPES[value] ?? []);
      for (const value of type) {
        expect(ECS_TYPES, where).toContain(value);
        expect(expected, where).toContain(value);
      }
      seen.add(`${category.join("+")}/${type.join("+")}`);
    }
    // Not everything collapses to one bucket.
    expect(seen.size).toBeGreaterThan(8);
  });

  it("keeps refusals apart from failed logons, and marks failed web accesses as errors", () => {
    const scopeDenied = ecsCategorization({ ...tokenRevoked, action: "scope_denied" });
    expect(scopeDenied).toEqual({ kind: "event", category: ["api"], type: ["denied"] });
    for (const action of ["role_denied", "csrf_rejected"]) {
      expect(ecsCategorization({ ...tokenRevoked, action })).toEqual(scopeDenied);
    }
    expect(ecsCategorization({ ...tokenRevoked, action: "login_failed" }).type).toEqual(["start"]);
    expect(ecsCategorization({ ...tokenRevoked, action: "logout", outcome: "success" })).toEqual({
      kind: "event",
      category: ["authentication"],
      type: ["end"],
    });
    expect(ecsCategorization({ ...download, outcome: "failure" }).type).toEqual(["access", "error"]);
    expect(ecsCategorization({ ...download, event: "alert", action: "spike" }).kind).toBe("alert");
    // An action added later still gets its category's mapping.
    expect(ecsCategorization({ ...download, event: "token", action: "rotated" })).toEqual({
      kind: "event",
      category: ["iam"],
      type: ["admin", "info"],
    });
  });
});

/**
 * The straightforward document the optimised toEcs replaced (optional members spread from
 * temporary objects): the test below holds toEcs to it byte for byte, key order included, as
 * JSON (what the export writes).
 */
function referenceToEcs(event: AuditEvent, info: ProductInfo): Record<string, unknown> {
  const { kind, category, type } = ecsCategorization(event);
  const address = storedAddress(event.ip_address);
  const target = event.target;
  const reason = typeof event.details.reason === "string" ? event.details.reason : undefined;
  const status = event.event === "package_access" ? event.details.status : undefined;
  const document: Record<string, unknown> = {
    "@timestamp": event.timestamp,
    ecs: { version: ECS_VERSION },
    event: {
      id: event.id,
      kind,
      category,
      type,
      action: `${event.event}.${event.action}`,
      outcome: ecsOutcome(event.outcome),
      severity: numericSeverity(event.severity),
      sequence: event.seq,
      dataset: ECS_DATASET,
      module: ECS_MODULE,
      provider: info.product,
      ...(reason === undefined ? {} : { reason }),
    },
    log: { level: event.severity },
    user: { id: event.user },
    related: {
      user: [event.user],
      ...(address?.kind === "ipv4" || address?.kind === "ipv6" ? { ip: [address.value] } : {}),
    },
    service: { name: info.product, version: info.version },
    labels: { outcome: event.outcome, actor_type: event.actor.type, auth_method: event.actor.auth_method },
    package_broker: {
      audit: event,
      ...(address?.kind === "network" ? { source: { ip_network: address.value } } : {}),
      ...(address?.kind === "hmac" ? { source: { ip_hmac: address.value } } : {}),
    },
  };
  if (address?.kind === "ipv4" || address?.kind === "ipv6") document.source = { ip: address.value };
  if (event.user_agent !== null) document.user_agent = { original: event.user_agent };
  if (event.request_id !== null || typeof status === "number") {
    document.http = {
      ...(event.request_id === null ? {} : { request: { id: event.request_id } }),
      ...(typeof status === "number" ? { response: { status_code: status } } : {}),
    };
  }
  if (target?.type === "package" && target.name !== undefined) {
    document.package = {
      name: target.name,
      ...(target.version === undefined ? {} : { version: target.version }),
    };
  }
  if (info.host !== undefined) document.host = { name: info.host };
  return document;
}

/** Strings with what JSON and the line escaping treat specially, and plain ones. */
const text = fc.oneof(
  fc.string({
    unit: fc.constantFrom(...Array.from('a_./"\\\n\r\u0000\u007f\u0085\u2028\u2029é…'), "🎉", "\ud800"),
  }),
  fc.string(),
);
const maybe = fc.option(text);

/** Events that reach every optional member: each recorded action and outcome, every address kind. */
const eventArbitrary: fc.Arbitrary<AuditEvent> = fc
  .record({
    base: fc.constantFrom(...everyRecordedVariant(), ...exampleEvents),
    severity: fc.constantFrom("info", "warning", "error"),
    user: text,
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
      fc.record(
        { type: fc.oneof(fc.constant("package"), text), id: text, name: text, version: text },
        { requiredKeys: ["type"] },
      ),
    ),
    details: fc.record(
      {
        reason: fc.oneof(text, fc.integer()),
        status: fc.oneof(fc.integer({ min: 100, max: 599 }), text),
        code: text,
        nested: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
  })
  .map(({ base, ...members }): AuditEvent => ({ ...base, ...members }));

describe("toEcs against the straightforward reference", () => {
  const products = [product, packageBrokerProduct("1.4.2")];

  it("writes the same JSON for the examples and every recorded variant", () => {
    for (const event of [...exampleEvents, ...everyRecordedVariant(), ...everyRecordedVariant(hostile)]) {
      for (const info of products) {
        expect(jsonLine(toEcs(event, info))).toBe(jsonLine(referenceToEcs(event, info)));
      }
    }
  });

  it("writes the same JSON for any event (property)", () => {
    fc.assert(
      fc.property(eventArbitrary, fc.constantFrom(...products), (event, info) => {
        expect(jsonLine(toEcs(event, info))).toBe(jsonLine(referenceToEcs(event, info)));
      }),
      { numRuns: 1000 },
    );
  });
});
