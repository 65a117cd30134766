import { z } from "zod";
import { auditCategories } from "../audit/audit-event.ts";
import type { IpMode } from "../audit/ip-privacy.ts";
import { defaultBusinessHours, weekdays } from "../audit/alerts/business-hours.ts";
import { MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from "../audit/retention/retention-policy.ts";

/** The IP modes, as PB_AUDIT_IP_MODE and the `audit.ipMode` setting name them. */
export const ipModes = ["full", "truncate", "hash", "none"] as const satisfies readonly IpMode[];

const CLOCK_TIME = /^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/;

/** One runtime setting kept by the settings service (docs/settings.md lists them all). */
export interface SettingDefinition<T = unknown> {
  /** What a value must be; a patch is checked against it, a stored value too (else the default). */
  readonly schema: z.ZodType<T>;
  readonly default: T;
  /**
   * A secret (a password, an API key): events and printed documents show only `set` or `unset`,
   * never the value. None of today's settings is one.
   */
  readonly secret: boolean;
  readonly description: string;
}

/**
 * The settings stored by the settings service, by dotted key: `security.requireTwoFactor` is
 * `{"security": {"requireTwoFactor": ...}}` in the document. Adding one here makes it readable,
 * patchable and audited; `runtime-settings.ts` gives it its place in the typed document.
 */
export const settingDefinitions = {
  "security.requireTwoFactor": define({
    schema: z.boolean(),
    default: false,
    secret: false,
    description:
      "Everyone must use two-factor authentication: a person without it can only enrol after signing in.",
  }),
  "alerts.businessHours.timeZone": define({
    schema: z.string().refine(isTimeZone, { error: "must be an IANA time zone such as Europe/Berlin" }),
    default: defaultBusinessHours.timeZone,
    secret: false,
    description: "The time zone of the business hours that alert rules check configuration changes against.",
  }),
  "alerts.businessHours.days": define({
    schema: z.array(z.enum(weekdays)).max(7),
    default: [...defaultBusinessHours.days],
    secret: false,
    description: "The working days (mon ... sun).",
  }),
  "alerts.businessHours.start": define({
    schema: z.string().regex(CLOCK_TIME, { error: "must be HH:MM" }),
    default: defaultBusinessHours.start,
    secret: false,
    description: "When business hours start (HH:MM, inclusive).",
  }),
  "alerts.businessHours.end": define({
    schema: z.string().regex(CLOCK_TIME, { error: "must be HH:MM (24:00 allowed)" }),
    default: defaultBusinessHours.end,
    secret: false,
    description: "When they end (HH:MM, exclusive; before the start spans midnight).",
  }),
  "audit.ipMode": define<IpMode>({
    schema: z.enum(ipModes, { error: "must be one of full, truncate, hash, none" }),
    // Never set, it follows PB_AUDIT_IP_MODE: the settings service is given that as its default.
    default: "truncate",
    secret: false,
    description:
      "What of a client's IP address new audit events keep: full, truncate (/24, /48), hash (keyed HMAC), none.",
  }),
};

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export type StoredSettingKey = keyof typeof settingDefinitions;

/** The stored settings, each with its type. */
export type StoredSettings = {
  readonly [K in StoredSettingKey]: (typeof settingDefinitions)[K] extends SettingDefinition<infer T>
    ? T
    : never;
};

export const storedSettingKeys = Object.keys(settingDefinitions) as StoredSettingKey[];

/** Settings of the document that belong to the audit retention (changed through it, with its events). */
export const RETENTION_DAYS_PREFIX = "audit.retentionDays.";

export const retentionDaysSchema = z.number().int().min(MIN_RETENTION_DAYS).max(MAX_RETENTION_DAYS);

/** Every key a patch may set, with what its value must be. */
export function patchableSettings(): ReadonlyMap<string, z.ZodType> {
  return new Map<string, z.ZodType>([
    ...storedSettingKeys.map((key): [string, z.ZodType] => [key, settingDefinitions[key].schema]),
    ...auditCategories.map((category): [string, z.ZodType] => [
      `${RETENTION_DAYS_PREFIX}${category}`,
      retentionDaysSchema,
    ]),
  ]);
}

/** Keys shown in the document that a patch may not set, and why. */
export const readOnlySettings: ReadonlyMap<string, string> = new Map([
  [
    "audit.legalHold",
    "read-only here: place or release a legal hold with `package-broker audit retention hold|release` " +
      "or /api/audit/retention/legal-hold (it needs a reason)",
  ],
  ["audit.ipModeSource", "read-only: where audit.ipMode comes from; set audit.ipMode itself"],
]);

function define<T>(definition: SettingDefinition<T>): SettingDefinition<T> {
  return Object.freeze(definition);
}
