import { describe, expect, it } from "vitest";
import {
  runtimeSettings,
  settingsLeaves,
  storedOverridesFrom,
  storedSettingsFrom,
} from "./runtime-settings.ts";
import { shownSettingValue } from "./setting-redaction.ts";
import { isStoredSettingKey, parseSettingsPatch, patchOfKey } from "./settings-patch.ts";
import { retentionDaysFrom, noLegalHold } from "../audit/retention/retention-policy.ts";

describe("the stored settings", () => {
  it("fall back to the default for each missing, damaged or unknown value", () => {
    const defaults = {
      "security.requireTwoFactor": false,
      "alerts.businessHours.timeZone": "UTC",
      "alerts.businessHours.days": ["mon", "tue", "wed", "thu", "fri"],
      "alerts.businessHours.start": "08:00",
      "alerts.businessHours.end": "18:00",
      "audit.ipMode": "truncate",
    };
    for (const stored of [
      undefined,
      null,
      7,
      "x",
      [],
      {},
      { "security.requireTwoFactor": "yes" },
      { "alerts.businessHours.timeZone": "Mars/Olympus_Mons", "alerts.businessHours.days": ["someday"] },
      { "alerts.businessHours.start": "25:00", "alerts.businessHours.end": 18 },
    ]) {
      expect(storedSettingsFrom(stored)).toEqual(defaults);
    }
    expect(
      storedSettingsFrom({
        "security.requireTwoFactor": true,
        "alerts.businessHours.timeZone": "Europe/Berlin",
        "old.setting": 1,
      }),
    ).toEqual({
      ...defaults,
      "security.requireTwoFactor": true,
      "alerts.businessHours.timeZone": "Europe/Berlin",
    });
    expect(storedOverridesFrom({ "security.requireTwoFactor": "yes", "old.setting": 1 })).toEqual({});
    expect(storedOverridesFrom({ "security.requireTwoFactor": false })).toEqual({
      "security.requireTwoFactor": false,
    });
    // Only own members count.
    expect(storedSettingsFrom(Object.create({ "security.requireTwoFactor": true }))).toEqual(defaults);
  });

  it("take the IP mode's default from PB_AUDIT_IP_MODE until it is set, and only a valid mode", () => {
    expect(storedSettingsFrom({}, { "audit.ipMode": "none" })["audit.ipMode"]).toBe("none");
    expect(storedSettingsFrom({}, {})["audit.ipMode"]).toBe("truncate");
    expect(storedSettingsFrom({ "audit.ipMode": "hash" }, { "audit.ipMode": "none" })["audit.ipMode"]).toBe(
      "hash",
    );
    for (const damaged of ["HASH", "", null, 1, ["hash"], { mode: "hash" }]) {
      expect(storedOverridesFrom({ "audit.ipMode": damaged })).toEqual({});
      expect(
        storedSettingsFrom({ "audit.ipMode": damaged }, { "audit.ipMode": "full" })["audit.ipMode"],
      ).toBe("full");
    }
  });

  it("make the document, whose leaves are the dotted keys", () => {
    const document = runtimeSettings(
      storedSettingsFrom({ "security.requireTwoFactor": true }),
      { days: retentionDaysFrom({ token: 30 }), legalHold: noLegalHold },
      "environment",
    );
    const leaves = new Map(settingsLeaves(document));
    expect(leaves.get("security.requireTwoFactor")).toBe(true);
    expect(leaves.get("audit.ipMode")).toBe("truncate");
    expect(leaves.get("audit.ipModeSource")).toBe("environment");
    expect(leaves.get("audit.retentionDays.token")).toBe(30);
    expect(leaves.get("audit.legalHold.active")).toBe(false);
  });
});

describe("a settings patch", () => {
  it("splits stored settings from retention days", () => {
    expect(
      parseSettingsPatch({ security: { requireTwoFactor: true }, audit: { retentionDays: { token: 30 } } }),
    ).toEqual({ stored: { "security.requireTwoFactor": true }, retentionDays: { token: 30 } });
    expect(parseSettingsPatch({ audit: { ipMode: "hash" } })).toEqual({
      stored: { "audit.ipMode": "hash" },
      retentionDays: {},
    });
  });

  it("refuses an IP mode that is not one, and the read-only source of the mode", () => {
    for (const value of ["HASH", "anonymize", "", " hash", null, true, 1, ["hash"], { mode: "hash" }]) {
      expect(() => parseSettingsPatch({ audit: { ipMode: value } })).toThrow(/audit\.ipMode: /);
    }
    expect(() => parseSettingsPatch({ audit: { ipModeSource: "setting" } })).toThrow(
      /audit\.ipModeSource: read-only/,
    );
    expect(isStoredSettingKey("audit.ipMode")).toBe(true);
    expect(isStoredSettingKey("audit.ipModeSource")).toBe(false);
  });

  it("is built from one dotted key for the CLI, refusing what the settings do not know", () => {
    expect(patchOfKey("security.requireTwoFactor", true)).toEqual({ security: { requireTwoFactor: true } });
    const polluting = patchOfKey("__proto__.security.requireTwoFactor", true);
    expect(Object.keys(polluting)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).security).toBeUndefined();
    expect(() => parseSettingsPatch(polluting)).toThrow(/__proto__: unknown setting/);
    expect(() => parseSettingsPatch(patchOfKey("constructor.prototype", 1))).toThrow(/unknown setting/);
    expect(isStoredSettingKey("security.requireTwoFactor")).toBe(true);
    expect(isStoredSettingKey("audit.retentionDays.token")).toBe(false);
    expect(isStoredSettingKey("toString")).toBe(false);
  });
});

describe("redaction", () => {
  it("shows a secret only as set or unset", () => {
    const secret = { secret: true };
    expect(shownSettingValue(secret, "hunter2")).toBe("set");
    expect(shownSettingValue(secret, { key: "value" })).toBe("set");
    expect(shownSettingValue(secret, "")).toBe("unset");
    expect(shownSettingValue(secret, null)).toBe("unset");
    expect(shownSettingValue({ secret: false }, "plain")).toBe("plain");
  });
});
