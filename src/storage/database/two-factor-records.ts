import type { Kysely } from "kysely";
import type { Database } from "./database-schema.ts";

/** The two-factor state of a user across its tables: `users` (the secret), `recovery_codes`, `sessions`. */
export class TwoFactorRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Turns a user's 2FA off in one transaction: the sealed secret and when it was enabled go, so
   * do the recovery codes, and with `endSessions` every session of the user (an admin's reset:
   * whoever holds a session opened with the old factor is signed out). The last accepted TOTP
   * step stays: it only ever grows, so a code seen before the reset stays worthless after it.
   * Null when no user (that is not deleted) has this id.
   */
  async clear(
    userId: string,
    now: string,
    options: { readonly endSessions: boolean },
  ): Promise<{ readonly sessionsEnded: number } | null> {
    return this.#db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable("users")
        .set({ totp_secret: null, totp_enabled_at: null, updated_at: now })
        .where("id", "=", userId)
        .where("status", "!=", "deleted")
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) return null;
      await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
      if (!options.endSessions) return { sessionsEnded: 0 };
      const ended = await trx.deleteFrom("sessions").where("user_id", "=", userId).executeTakeFirst();
      return { sessionsEnded: Number(ended.numDeletedRows) };
    });
  }
}
