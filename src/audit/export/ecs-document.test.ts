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
import { ecsCategorization, toEcs } from "./ecs-document.ts";
import { packageBrokerProduct } from "./product-info.ts";

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
