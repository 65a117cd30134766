import type { AccountLinkPurpose, AccountLinkRecord } from "../storage/database/account-link-records.ts";
import { parseUserRole, type UserRole } from "./user-role.ts";

/** `open` until used, revoked or past `expiresAt`. */
export type AccountLinkStatus = "open" | "used" | "revoked" | "expired";

/** A one-time link as the API and the CLI show it: never its token or the token's hash. */
export interface PublicAccountLink {
  readonly id: string;
  readonly purpose: AccountLinkPurpose;
  /** The invited address, or the address of the user a reset is for; null for a setup link. */
  readonly email: string | null;
  /** What an invitation (or a setup link: admin) makes the person; null for a reset. */
  readonly role: UserRole | null;
  /** The user a password reset is for. */
  readonly userId: string | null;
  /** Who made it: a user id, or null for the console or the server itself. */
  readonly createdBy: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt: string | null;
  readonly revokedAt: string | null;
  readonly status: AccountLinkStatus;
}

export function toPublicAccountLink(record: AccountLinkRecord, now: Date): PublicAccountLink {
  return {
    id: record.id,
    purpose: record.purpose,
    email: record.email,
    role: record.role === null ? null : parseUserRole(record.role),
    userId: record.userId,
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    usedAt: record.usedAt,
    revokedAt: record.revokedAt,
    status: linkStatus(record, now),
  };
}

export function linkStatus(record: AccountLinkRecord, now: Date): AccountLinkStatus {
  if (record.usedAt !== null) return "used";
  if (record.revokedAt !== null) return "revoked";
  return Date.parse(record.expiresAt) <= now.getTime() ? "expired" : "open";
}
