import { describe, expect, it } from "vitest";
import { download } from "../../../test/builders/audit-event-examples.ts";
import type { AuditCategory, AuditEvent } from "../audit-event.ts";
import { ecsCategorization } from "./ecs-document.ts";
import { ocsfClassification } from "./ocsf-document.ts";

/** The 2FA and runtime-settings actions (docs/audit-log.md) as the SIEM exports classify them. */
const as = (event: AuditCategory, action: string): AuditEvent => ({ ...download, event, action });

describe("the export mappings of 2FA and settings events", () => {
  it("classify them in ECS with types expected for their category", () => {
    const cases: [AuditCategory, string, string[], string[]][] = [
      ["authentication", "two_factor_enrolment_required", ["authentication"], ["info"]],
      ["user", "two_factor_enabled", ["iam"], ["user", "change"]],
      ["user", "two_factor_disabled", ["iam"], ["user", "change"]],
      ["user", "two_factor_reset", ["iam"], ["admin", "user", "change"]],
      ["user", "recovery_codes_regenerated", ["iam"], ["user", "change"]],
      ["configuration", "settings_changed", ["configuration"], ["change"]],
    ];
    for (const [event, action, category, type] of cases) {
      expect(ecsCategorization(as(event, action))).toEqual({ kind: "event", category, type });
    }
  });

  it("classify them in OCSF: MFA factor enable and disable, not a second logon", () => {
    const cases: [AuditCategory, string, number, number][] = [
      ["authentication", "two_factor_enrolment_required", 3002, 99],
      ["user", "two_factor_enabled", 3001, 10],
      ["user", "two_factor_disabled", 3001, 11],
      ["user", "two_factor_reset", 3001, 11],
      ["user", "recovery_codes_regenerated", 3001, 99],
      ["configuration", "settings_changed", 6003, 3],
    ];
    for (const [event, action, classUid, activityId] of cases) {
      const { eventClass, activityId: activity } = ocsfClassification(as(event, action));
      expect([eventClass.uid, activity]).toEqual([classUid, activityId]);
      if (activity !== 99) expect(eventClass.activities[activity]).toBeDefined();
    }
  });
});
