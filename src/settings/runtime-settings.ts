import type { BusinessHours } from "../audit/alerts/business-hours.ts";
import type { IpMode } from "../audit/ip-privacy.ts";
import type { LegalHold, RetentionDays } from "../audit/retention/retention-policy.ts";
import { settingDefinitions, storedSettingKeys, type StoredSettings } from "./setting-definitions.ts";
import { shownSettingValue } from "./setting-redaction.ts";

/** The row of the settings table that holds the stored settings (a flat object of dotted keys). */
export const RUNTIME_SETTINGS_KEY = "runtime";

/**
 * The runtime settings document (`GET /api/settings`, `package-broker settings get`): what the
 * settings service stores, and the audit retention's policy and legal hold, which it reads from
 * the audit retention.
 */
export interface RuntimeSettings {
  readonly security: {
    readonly requireTwoFactor: boolean;
  };
  readonly alerts: {
    /** When configuration changes are expected (the rule "configuration changed outside business hours"). */
    readonly businessHours: BusinessHours;
  };
  readonly audit: {
    /** Days each category's event payloads are kept; patchable (through the audit retention). */
    readonly retentionDays: RetentionDays;
    /** Read-only here: placed and released with its own commands, which need a reason. */
    readonly legalHold: LegalHold;
    /** What of a client's IP address new audit events keep. */
    readonly ipMode: IpMode;
    /** Read-only: `setting` once `audit.ipMode` was set, else `environment` (PB_AUDIT_IP_MODE). */
    readonly ipModeSource: IpModeSource;
  };
}

export type IpModeSource = "setting" | "environment";

/** The document from the stored settings and the retention's state. Secrets appear as set/unset. */
export function runtimeSettings(
  stored: StoredSettings,
  retention: { readonly days: RetentionDays; readonly legalHold: LegalHold },
  ipModeSource: IpModeSource,
): RuntimeSettings {
  const shown = (key: keyof StoredSettings) => shownSettingValue(settingDefinitions[key], stored[key]);
  return {
    security: { requireTwoFactor: shown("security.requireTwoFactor") as boolean },
    alerts: { businessHours: businessHoursOf(stored) },
    audit: {
      retentionDays: retention.days,
      legalHold: retention.legalHold,
      ipMode: shown("audit.ipMode") as IpMode,
      ipModeSource,
    },
  };
}

/**
 * The stored settings from the stored JSON (a flat object of dotted keys): each key's value if
 * it is valid for the setting, else its default (from `defaults`, else the definition's: the
 * default of `audit.ipMode` is PB_AUDIT_IP_MODE), so a damaged or older document never stops a
 * sign-in; keys no longer known are ignored.
 */
export function storedSettingsFrom(
  document: unknown,
  defaults: Partial<StoredSettings> = {},
): StoredSettings {
  const overrides = storedOverridesFrom(document);
  return Object.fromEntries(
    storedSettingKeys.map((key) => [
      key,
      Object.hasOwn(overrides, key)
        ? overrides[key]
        : Object.hasOwn(defaults, key)
          ? defaults[key]
          : settingDefinitions[key].default,
    ]),
  ) as unknown as StoredSettings;
}

/**
 * Only the settings that were set, and are valid: what is stored back after a change, so that a
 * setting never set follows its default, even when a later release changes the default.
 */
export function storedOverridesFrom(document: unknown): Partial<StoredSettings> {
  const values =
    typeof document === "object" && document !== null ? (document as Record<string, unknown>) : {};
  const overrides: Partial<Record<keyof StoredSettings, unknown>> = {};
  for (const key of storedSettingKeys) {
    if (!Object.hasOwn(values, key)) continue;
    const parsed = settingDefinitions[key].schema.safeParse(values[key]);
    if (parsed.success) overrides[key] = parsed.data;
  }
  return overrides as Partial<StoredSettings>;
}

/** Every leaf of a document by dotted key, in document order (for printing). */
export function settingsLeaves(document: object, prefix = ""): [string, unknown][] {
  return Object.entries(document).flatMap(([key, value]): [string, unknown][] => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? settingsLeaves(value as object, path)
      : [[path, value]];
  });
}

/** The business hours from the stored settings. */
export function businessHoursOf(stored: StoredSettings): BusinessHours {
  return {
    timeZone: stored["alerts.businessHours.timeZone"],
    days: stored["alerts.businessHours.days"],
    start: stored["alerts.businessHours.start"],
    end: stored["alerts.businessHours.end"],
  };
}
