import { describe, expect, it } from "vitest";
import { download } from "../../../test/builders/audit-event-examples.ts";
import type { AuditEvent } from "../audit-event.ts";
import { ecsCategorization } from "./ecs-document.ts";
import { ocsfClassification, toOcsf } from "./ocsf-document.ts";

/** The events of invitations, setup links and passwords (docs/audit-log.md) as SIEM exports classify them. */
const as = (action: string): AuditEvent => ({ ...download, event: "user", action });

describe("the export mappings of account links and password events", () => {
  it("classify them in ECS: an account created, a password changed, the rest user information", () => {
    const cases: [string, string[]][] = [
      ["invited", ["user", "info"]],
      ["invitation_revoked", ["user", "info"]],
      ["invitation_accepted", ["user", "creation"]],
      ["setup_link_created", ["user", "info"]],
      ["setup_completed", ["user", "creation"]],
      ["password_reset_requested", ["admin", "user", "info"]],
      ["password_reset_completed", ["user", "change"]],
      ["password_changed", ["user", "change"]],
      ["link_invalid", ["user", "info"]],
    ];
    for (const [action, type] of cases) {
      expect(ecsCategorization(as(action)), action).toEqual({ kind: "event", category: ["iam"], type });
    }
  });

  it("classify them in OCSF Account Change: Create, Password Change, Password Reset, else Other", () => {
    const cases: [string, number, string][] = [
      ["invited", 99, "Other"],
      ["invitation_revoked", 99, "Other"],
      ["invitation_accepted", 1, "Create"],
      ["setup_link_created", 99, "Other"],
      ["setup_completed", 1, "Create"],
      ["password_reset_requested", 99, "Other"],
      ["password_reset_completed", 4, "Password Reset"],
      ["password_changed", 3, "Password Change"],
      ["link_invalid", 99, "Other"],
    ];
    for (const [action, activityId, caption] of cases) {
      const { eventClass, activityId: activity } = ocsfClassification(as(action));
      expect([eventClass.uid, activity], action).toEqual([3001, activityId]);
      const document = toOcsf(
        { ...as(action), target: { type: "user", id: "usr_01" } },
        { product: "package-broker", vendor: "PACKAGE.broker", version: "1.0.0" },
      );
      expect(document).toMatchObject({ type_uid: 300100 + activityId, user: { uid: "usr_01" } });
      expect(document.type_name).toBe(`Account Change: ${caption}`);
    }
  });
});
