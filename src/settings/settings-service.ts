import { isDeepStrictEqual } from "node:util";
import type { AuditOutcome } from "../audit/audit-event.ts";
import type { AuditRetention } from "../audit/retention/audit-retention.ts";
import type { AuditTrail } from "../audit/audit-trail.ts";
import type { TwoFactorPolicy } from "../access/two-factor-policy.ts";
import type { Clock } from "../clock/clock.ts";
import { conflict, DomainError } from "../errors/domain-error.ts";
import type { JobLeaseRecords } from "../storage/database/job-lease-records.ts";
import type { SettingsRecords } from "../storage/database/settings-records.ts";
import type { UserRecords } from "../storage/database/user-records.ts";
import type { BusinessHours } from "../audit/alerts/business-hours.ts";
import type { AuditIpMode } from "./audit-ip-mode.ts";
import {
  businessHoursOf,
  RUNTIME_SETTINGS_KEY,
  runtimeSettings,
  storedOverridesFrom,
  storedSettingsFrom,
  type RuntimeSettings,
} from "./runtime-settings.ts";
import { settingDefinitions, type StoredSettingKey, type StoredSettings } from "./setting-definitions.ts";
import { shownSettingValue } from "./setting-redaction.ts";
import { parseSettingsPatch, type SettingsPatch } from "./settings-patch.ts";
import { SettingsUpdateLock } from "./settings-update-lock.ts";

export interface SettingsServiceOptions {
  readonly records: SettingsRecords;
  readonly retention: Pick<AuditRetention, "days" | "legalHold" | "setDays">;
  /** To check that a person turning the 2FA policy on has 2FA themselves. */
  readonly users: Pick<UserRecords, "findById">;
  readonly leases: JobLeaseRecords;
  readonly clock: Clock;
  /**
   * This process's IP mode of new audit events: its fallback (PB_AUDIT_IP_MODE) is the default of
   * `audit.ipMode`, and it is told of a change at once. Without it the default is `truncate`.
   */
  readonly ipMode?: Pick<AuditIpMode, "fallback" | "changed"> | undefined;
}

/**
 * Settings changed at run time (docs/settings.md): typed, checked, with defaults, read from the
 * database on every call (no cache: a change made by another process counts on its next read).
 * The exception is `audit.ipMode`, which every request needs: `AuditIpMode` keeps it in memory.
 * Every change is audited: the stored settings as one `configuration`/`settings_changed` event
 * with `before` and `after` of the changed keys only (secrets as set/unset); retention days through
 * the audit retention, whose `audit`/`retention_changed` event is the one record of them.
 */
export class SettingsService implements TwoFactorPolicy {
  readonly #records: SettingsRecords;
  readonly #retention: SettingsServiceOptions["retention"];
  readonly #users: SettingsServiceOptions["users"];
  readonly #clock: Clock;
  readonly #lock: SettingsUpdateLock;
  readonly #ipMode: SettingsServiceOptions["ipMode"];
  readonly #defaults: Partial<StoredSettings>;

  constructor(options: SettingsServiceOptions) {
    this.#records = options.records;
    this.#retention = options.retention;
    this.#users = options.users;
    this.#clock = options.clock;
    this.#lock = new SettingsUpdateLock({ leases: options.leases, clock: options.clock });
    this.#ipMode = options.ipMode;
    this.#defaults = options.ipMode === undefined ? {} : { "audit.ipMode": options.ipMode.fallback };
  }

  /** The whole document, every setting with its value or default. */
  async get(): Promise<RuntimeSettings> {
    const [document, days, legalHold] = await Promise.all([
      this.#records.get(RUNTIME_SETTINGS_KEY),
      this.#retention.days(),
      this.#retention.legalHold(),
    ]);
    const ipModeSet = Object.hasOwn(storedOverridesFrom(document), "audit.ipMode");
    return runtimeSettings(
      storedSettingsFrom(document, this.#defaults),
      { days, legalHold },
      ipModeSet ? "setting" : "environment",
    );
  }

  /** The alert rules' business hours: one read of one row. */
  async businessHours(): Promise<BusinessHours> {
    return businessHoursOf(await this.#stored());
  }

  /** `security.requireTwoFactor`: one read of one row, for each sign-in. */
  async requireTwoFactor(): Promise<boolean> {
    return (await this.#stored())["security.requireTwoFactor"];
  }

  /**
   * Applies a patch of the document (`{"security": {"requireTwoFactor": true}}`) and returns the
   * new document. Refusals: `InvalidSettings` (unknown key, wrong type, null, read-only key, empty
   * patch; with `errors`), `TwoFactorRequiredForPolicy` (a person without 2FA turning the 2FA
   * policy on), `SettingsBusy`. A refusal changes nothing and is recorded (outcome failure or
   * denied, with its code). Values equal to the current ones change nothing and record nothing.
   */
  async update(patch: unknown, trail: AuditTrail): Promise<RuntimeSettings> {
    try {
      const parsed = parseSettingsPatch(patch);
      await this.#lock.run(() => this.#apply(parsed, trail));
    } catch (error) {
      if (error instanceof DomainError) await recordRefusal(trail, error);
      throw error;
    }
    return this.get();
  }

  async #apply(patch: SettingsPatch, trail: AuditTrail): Promise<void> {
    const document = await this.#records.get(RUNTIME_SETTINGS_KEY);
    const before = storedSettingsFrom(document, this.#defaults);
    const changed = (Object.keys(patch.stored) as StoredSettingKey[]).filter(
      (key) => !isDeepStrictEqual(before[key], patch.stored[key]),
    );
    if (changed.includes("security.requireTwoFactor") && patch.stored["security.requireTwoFactor"] === true) {
      await this.#checkActorHasTwoFactor(trail);
    }
    const days = await this.#retention.days();
    const changedDays = Object.fromEntries(
      Object.entries(patch.retentionDays).filter(
        ([category, value]) => days[category as keyof typeof days] !== value,
      ),
    );
    if (Object.keys(changedDays).length > 0) await this.#retention.setDays(trail, changedDays);
    if (changed.length === 0) return;
    const after: StoredSettings = { ...before, ...patch.stored };
    const stored = { ...storedOverridesFrom(document), ...patch.stored };
    await this.#records.put(RUNTIME_SETTINGS_KEY, stored, this.#clock.now());
    // Events recorded from now on in this process keep addresses the new way.
    if (patch.stored["audit.ipMode"] !== undefined) this.#ipMode?.changed(patch.stored["audit.ipMode"]);
    await trail.record({
      event: "configuration",
      action: "settings_changed",
      outcome: "success",
      severity: "warning",
      target: { type: "settings" },
      details: { before: shownValues(before, changed), after: shownValues(after, changed) },
    });
  }

  /**
   * Turning the 2FA policy on from a session needs 2FA on that person's own account: they prove
   * it works for them before everyone depends on it, and their own session is not turned into an
   * enrolment-only one by their own change. The console and API tokens are not sessions, so the
   * policy cannot restrict them and the check does not apply.
   */
  async #checkActorHasTwoFactor(trail: AuditTrail): Promise<void> {
    const actor = trail.context.actor;
    if (actor.type !== "user") return;
    const user = await this.#users.findById(actor.id);
    if (user !== null && user.totpEnabledAt !== null) return;
    throw conflict(
      "TwoFactorRequiredForPolicy",
      "turn on two-factor authentication for your own account before requiring it of everyone",
    );
  }

  async #stored(): Promise<StoredSettings> {
    return storedSettingsFrom(await this.#records.get(RUNTIME_SETTINGS_KEY), this.#defaults);
  }
}

function shownValues(settings: StoredSettings, keys: readonly StoredSettingKey[]): Record<string, unknown> {
  return Object.fromEntries(
    keys.map((key) => [key, shownSettingValue(settingDefinitions[key], settings[key])]),
  );
}

async function recordRefusal(trail: AuditTrail, error: DomainError): Promise<void> {
  const outcome: AuditOutcome = error.code === "TwoFactorRequiredForPolicy" ? "denied" : "failure";
  const errors = error.extensions.errors;
  await trail.record({
    event: "configuration",
    action: "settings_changed",
    outcome,
    severity: "warning",
    target: { type: "settings" },
    details: {
      code: error.code,
      ...(Array.isArray(errors) ? { errors: errors.map((problem: { path: string }) => problem.path) } : {}),
    },
  });
}
