import type { Kysely, Selectable } from "kysely";
import type { Database, SessionsTable } from "./database-schema.ts";

/** A stored browser session. The token itself is never stored, only its SHA-256 (`idHash`). */
export interface SessionRecord {
  readonly idHash: string;
  readonly userId: string;
  /** SHA-256 hex of the session's CSRF token. */
  readonly csrfHash: string;
  /** The password is checked, the second factor is not yet. */
  readonly pendingMfa: boolean;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  /** The absolute end of the session, whatever its activity. */
  readonly expiresAt: string;
}

/** The `sessions` table. Times are ISO 8601 strings in UTC, so they compare as text. */
export class SessionRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(session: SessionRecord): Promise<void> {
    await this.#db.insertInto("sessions").values(toRow(session)).execute();
  }

  async findByIdHash(idHash: string): Promise<SessionRecord | null> {
    const row = await this.#db
      .selectFrom("sessions")
      .selectAll()
      .where("id_hash", "=", idHash)
      .executeTakeFirst();
    return row === undefined ? null : toSessionRecord(row);
  }

  /**
   * Moves `last_seen_at` forward to `at` (never backwards: a slow request finishing after a newer
   * one must not shorten the idle window). False when nothing changed.
   */
  async touch(idHash: string, at: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("sessions")
      .set({ last_seen_at: at })
      .where("id_hash", "=", idHash)
      .where("last_seen_at", "<", at)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** False when no session has this hash (already logged out, or expired and removed). */
  async delete(idHash: string): Promise<boolean> {
    const result = await this.#db.deleteFrom("sessions").where("id_hash", "=", idHash).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Ends every session of a user, but for `exceptIdHash` (the one asking, for "log out others"). */
  async deleteAllForUser(userId: string, exceptIdHash?: string): Promise<number> {
    let query = this.#db.deleteFrom("sessions").where("user_id", "=", userId);
    if (exceptIdHash !== undefined) query = query.where("id_hash", "!=", exceptIdHash);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Removes the sessions past their absolute end at `now`, and, when `idleCutoff` is given, those
   * last seen at or before it (now minus the idle timeout). Returns how many went.
   */
  async deleteExpired(now: string, idleCutoff?: string): Promise<number> {
    const result = await this.#db
      .deleteFrom("sessions")
      .where((eb) =>
        idleCutoff === undefined
          ? eb("expires_at", "<=", now)
          : eb.or([eb("expires_at", "<=", now), eb("last_seen_at", "<=", idleCutoff)]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toRow(session: SessionRecord): Selectable<SessionsTable> {
  return {
    id_hash: session.idHash,
    user_id: session.userId,
    csrf_hash: session.csrfHash,
    pending_mfa: session.pendingMfa ? 1 : 0,
    ip_address: session.ipAddress,
    user_agent: session.userAgent,
    created_at: session.createdAt,
    last_seen_at: session.lastSeenAt,
    expires_at: session.expiresAt,
  };
}

function toSessionRecord(row: Selectable<SessionsTable>): SessionRecord {
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    csrfHash: row.csrf_hash,
    pendingMfa: row.pending_mfa !== 0,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
  };
}
