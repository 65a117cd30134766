import { invalidInput } from "../../errors/domain-error.ts";
import { auditCategories, type AuditCategory } from "../audit-event.ts";

export const DEFAULT_RETENTION_DAYS = 365;
export const MIN_RETENTION_DAYS = 1;
/** A hundred years: "keep for ever" in practice, and still a date SQL can compare. */
export const MAX_RETENTION_DAYS = 36_500;

/** How many days the payload of each category's events is kept. */
export type RetentionDays = Readonly<Record<AuditCategory, number>>;

export interface LegalHold {
  readonly active: boolean;
  readonly reason: string | null;
  /** When the hold was placed, and by whom (an actor id). */
  readonly since: string | null;
  readonly by: string | null;
}

export const noLegalHold: LegalHold = { active: false, reason: null, since: null, by: null };

/** The policy from what is stored (overrides only; every other category keeps the default). */
export function retentionDaysFrom(stored: unknown): RetentionDays {
  const overrides = typeof stored === "object" && stored !== null ? (stored as Record<string, unknown>) : {};
  return Object.fromEntries(
    auditCategories.map((category) => {
      const days = overrides[category];
      return [category, typeof days === "number" && isValidDays(days) ? days : DEFAULT_RETENTION_DAYS];
    }),
  ) as Record<AuditCategory, number>;
}

/**
 * Checks a change of the policy: known categories, whole days in range. Returns it typed; throws
 * a 400 naming the first bad entry.
 */
export function parseRetentionChange(change: unknown): Partial<Record<AuditCategory, number>> {
  if (typeof change !== "object" || change === null || Array.isArray(change)) {
    throw invalidInput("InvalidRetention", 'the change must be an object like {"authentication": 730}');
  }
  const entries = Object.entries(change);
  if (entries.length === 0) throw invalidInput("InvalidRetention", "the change names no category");
  for (const [category, days] of entries) {
    if (!(auditCategories as readonly string[]).includes(category)) {
      throw invalidInput(
        "InvalidRetention",
        `unknown category ${JSON.stringify(category.slice(0, 40))}; categories: ${auditCategories.join(", ")}`,
        { field: category.slice(0, 40) },
      );
    }
    if (typeof days !== "number" || !isValidDays(days)) {
      throw invalidInput(
        "InvalidRetention",
        `${category}: days must be a whole number from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS}`,
        { field: category },
      );
    }
  }
  return Object.fromEntries(entries);
}

function isValidDays(days: number): boolean {
  return Number.isSafeInteger(days) && days >= MIN_RETENTION_DAYS && days <= MAX_RETENTION_DAYS;
}

/** The stored legal hold, or none. */
export function legalHoldFrom(stored: unknown): LegalHold {
  if (typeof stored !== "object" || stored === null) return noLegalHold;
  const hold = stored as Partial<LegalHold>;
  return {
    active: hold.active === true,
    reason: typeof hold.reason === "string" ? hold.reason : null,
    since: typeof hold.since === "string" ? hold.since : null,
    by: typeof hold.by === "string" ? hold.by : null,
  };
}
