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

  it("make the document, whose leaves are the dotted keys", () => {
    const document = runtimeSettings(storedSettingsFrom({ "security.requireTwoFactor": true }), {
      days: retentionDaysFrom({ token: 30 }),
      legalHold: noLegalHold,
    });
    const leaves = new Map(settingsLeaves(document));
    expect(leaves.get("security.requireTwoFactor")).toBe(true);
    expect(leaves.get("audit.retentionDays.token")).toBe(30);
    expect(leaves.get("audit.legalHold.active")).toBe(false);
  });
});

describe("a settings patch", () => {
  it("splits stored settings from retention days", () => {
    expect(
      parseSettingsPatch({ security: { requireTwoFactor: true }, audit: { retentionDays: { token: 30 } } }),
    ).toEqual({ stored: { "security.requireTwoFactor": true }, retentionDays: { token: 30 } });
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
