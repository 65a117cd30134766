import type { Kysely, Selectable } from "kysely";
import type { AccountLinksTable, Database } from "./database-schema.ts";

export const accountLinkPurposes = ["invitation", "setup", "password-reset"] as const;

/** What a one-time link does: invite a person, create the first admin, or set a new password. */
export type AccountLinkPurpose = (typeof accountLinkPurposes)[number];

/** A stored one-time link. The token itself is never stored, only its SHA-256 (`tokenHash`). */
export interface AccountLinkRecord {
  readonly id: string;
  readonly purpose: AccountLinkPurpose;
  readonly tokenHash: string;
  /** Lower-cased; null for a setup link. */
  readonly email: string | null;
  readonly role: string | null;
  /** The user a password reset is for. */
  readonly userId: string | null;
  /** The user who made it; null for the system or the console. */
  readonly createdBy: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt: string | null;
  readonly revokedAt: string | null;
}

export type NewAccountLinkRecord = Omit<AccountLinkRecord, "usedAt" | "revokedAt">;

/** Which open links of a purpose to revoke: those for an address, or all of them. */
export type OpenLinkMatch = { readonly email: string } | "all";

/**
 * The `account_links` table. Times are ISO 8601 strings in UTC, so they compare as text. A link
 * is open while it is neither used nor revoked; it is usable while open and not yet expired.
 */
export class AccountLinkRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Stores a new link. False when an open link of the same purpose for the same address exists
   * (the `account_links_open` index decides, race-free): revoke it first.
   */
  async insert(link: NewAccountLinkRecord): Promise<boolean> {
    const result = await this.#db
      .insertInto("account_links")
      .values({ ...toRow(link), used_at: null, revoked_at: null })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async findByTokenHash(tokenHash: string): Promise<AccountLinkRecord | null> {
    const row = await this.#db
      .selectFrom("account_links")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return row === undefined ? null : toRecord(row);
  }

  async findById(id: string): Promise<AccountLinkRecord | null> {
    const row = await this.#db
      .selectFrom("account_links")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row === undefined ? null : toRecord(row);
  }

  /**
   * Uses the link: marks it used at `now` if it is open and not expired, and returns it; null
   * otherwise. The condition is part of the UPDATE, so of two uses racing exactly one gets the
   * link (PostgreSQL re-checks the row once the first transaction commits; SQLite runs one write
   * at a time). Inside a transaction, a rollback gives the link back.
   */
  async claim(tokenHash: string, now: string): Promise<AccountLinkRecord | null> {
    const row = await this.#db
      .updateTable("account_links")
      .set({ used_at: now })
      .where("token_hash", "=", tokenHash)
      .where("used_at", "is", null)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toRecord(row);
  }

  /** Revokes the open links of a purpose that match (expired ones too); returns them. */
  async revokeOpen(
    purpose: AccountLinkPurpose,
    match: OpenLinkMatch,
    now: string,
  ): Promise<AccountLinkRecord[]> {
    let query = this.#db
      .updateTable("account_links")
      .set({ revoked_at: now })
      .where("purpose", "=", purpose)
      .where("used_at", "is", null)
      .where("revoked_at", "is", null);
    if (match !== "all") query = query.where("email", "=", match.email);
    const rows = await query.returningAll().execute();
    return rows.map(toRecord).sort(byCreation);
  }

  /** Revokes one open link of the purpose; null when there is none with this id, or it is not open. */
  async revoke(id: string, purpose: AccountLinkPurpose, now: string): Promise<AccountLinkRecord | null> {
    const row = await this.#db
      .updateTable("account_links")
      .set({ revoked_at: now })
      .where("id", "=", id)
      .where("purpose", "=", purpose)
      .where("used_at", "is", null)
      .where("revoked_at", "is", null)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toRecord(row);
  }

  /** The links of a purpose still usable at `now` (open, not expired), oldest first. */
  async listUsable(purpose: AccountLinkPurpose, now: string): Promise<AccountLinkRecord[]> {
    const rows = await this.#db
      .selectFrom("account_links")
      .selectAll()
      .where("purpose", "=", purpose)
      .where("used_at", "is", null)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toRecord);
  }
}

function byCreation(a: AccountLinkRecord, b: AccountLinkRecord): number {
  return a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : a.createdAt.localeCompare(b.createdAt);
}

function toRow(link: NewAccountLinkRecord): Omit<Selectable<AccountLinksTable>, "used_at" | "revoked_at"> {
  return {
    id: link.id,
    purpose: link.purpose,
    token_hash: link.tokenHash,
    email: link.email,
    role: link.role,
    user_id: link.userId,
    created_by: link.createdBy,
    created_at: link.createdAt,
    expires_at: link.expiresAt,
  };
}

function toRecord(row: Selectable<AccountLinksTable>): AccountLinkRecord {
  return {
    id: row.id,
    purpose: parsePurpose(row.purpose),
    tokenHash: row.token_hash,
    email: row.email,
    role: row.role,
    userId: row.user_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
  };
}

function parsePurpose(value: string): AccountLinkPurpose {
  const purpose = accountLinkPurposes.find((known) => known === value);
  if (purpose === undefined) throw new Error(`account link with an unknown purpose ${JSON.stringify(value)}`);
  return purpose;
}
