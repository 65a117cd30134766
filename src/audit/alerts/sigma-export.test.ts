import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { defaultAlertRulesYaml } from "./default-alert-rules.ts";
import { parseAlertRules } from "./parse-alert-rules.ts";
import { exportSigmaRules } from "./sigma-export.ts";

const documents = (text: string): Record<string, unknown>[] =>
  parseAllDocuments(text).map((document) => document.toJS() as Record<string, unknown>);

const rule = (name: string, digit: string, detection: string): string =>
  `title: ${name}\nid: ${digit.repeat(8)}-1111-4111-8111-111111111111\nname: ${name}\nlogsource: {product: package-broker, service: audit}\ndetection:\n${detection}`;

describe("exportSigmaRules", () => {
  const exported = exportSigmaRules(parseAlertRules(defaultAlertRulesYaml));
  const exportedDocuments = documents(exported);

  it("exports every default rule as a Sigma document without our extensions", () => {
    expect(exportedDocuments.map((document) => document.name)).toEqual(
      parseAlertRules(defaultAlertRulesYaml).map((r) => r.name),
    );
    for (const document of exportedDocuments) {
      expect(Object.keys(document)).not.toContain("response");
      expect(Object.keys(document)).not.toContain("suppress");
      expect(JSON.stringify(document)).not.toMatch(/"pb\.[a-z_]+"|pb\.[a-z_]+":/);
      expect(document).toHaveProperty("title");
      expect(document).toHaveProperty("id");
      const base = "detection" in document;
      expect(base || "correlation" in document).toBe(true);
      if (base) expect(document.logsource).toEqual({ product: "package-broker", service: "audit" });
    }
  });

  it("says in comments what it left out", () => {
    expect(exported).toContain("# PACKAGE.broker response left out: suspend-token on actor.id.");
    expect(exported).toContain("# PACKAGE.broker suppression left out: once fired, quiet for 1h per group.");
    expect(exported).toContain(
      "# Selection business_hours left out (it tests a field PACKAGE.broker derives: pb.business_hours)",
    );
    expect(exported).toContain("# Grouped by ip_address instead of pb.ip_network");
  });

  it("widens conditions on derived fields rather than narrowing them", () => {
    const byName = new Map(exportedDocuments.map((document) => [document.name, document]));
    const detection = (name: string) => byName.get(name)?.detection as Record<string, unknown>;
    expect(detection("pb_configuration_change_outside_business_hours").condition).toBe("selection");
    expect(detection("pb_audit_system_changed").condition).toBe(
      "audit_change or delivery_held or retention_change or audit_setting",
    );
    expect(detection("pb_user_made_admin").condition).toBe(
      "(selection and not was_admin) or admin_invitation",
    );
    expect((byName.get("pb_password_spray")?.correlation as Record<string, unknown>)["group-by"]).toEqual([
      "ip_address",
    ]);
  });

  it("round-trips through our own parser", () => {
    const reparsed = parseAlertRules(exported);
    expect(reparsed.map((r) => [r.id, r.kind])).toEqual(
      parseAlertRules(defaultAlertRulesYaml).map((r) => [r.id, r.kind]),
    );
    expect(documents(exportSigmaRules(reparsed))).toEqual(exportedDocuments);
  });

  it("leaves out a rule that would match everything, and the correlations built on it", () => {
    const text = [
      rule("night", "a", "  bh: {pb.business_hours: false}\n  condition: bh"),
      rule(
        "any_time",
        "b",
        "  s: {event: configuration}\n  bh: {pb.business_hours: true}\n  condition: s and not bh",
      ),
      rule(
        "anything",
        "d",
        "  s: {event: configuration}\n  bh: {pb.business_hours: true}\n  condition: s or not bh",
      ),
      `title: c\nid: cccccccc-1111-4111-8111-111111111111\nname: c\ncorrelation: {type: event_count, rules: [night], timespan: 1h, condition: {gte: 3}}`,
    ].join("\n---\n");
    const out = exportSigmaRules(parseAlertRules(text));
    expect(out).toContain(
      "# Not exported: night (night): without bh (derived pb.* fields) it would match every event",
    );
    expect(out).toContain("# Not exported: c (c): it references rules that are not exported");
    expect(out).toContain(
      "# Not exported: anything (anything): without bh (derived pb.* fields) it would match every event",
    );
    expect(
      documents(out).map((document) => [
        document.name,
        (document.detection as Record<string, unknown>).condition,
      ]),
    ).toEqual([["any_time", "s"]]);
  });
});
