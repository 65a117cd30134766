import type { Kysely } from "kysely";
import type { Database } from "./database-schema.ts";

/** The `recovery_codes` table: SHA-256 hashes of a user's two-factor recovery codes. */
export class RecoveryCodeRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Replaces the user's codes with these hashes (none: the user has no codes any more). In one
   * transaction, so that no moment exists where both the old and the new set, or neither, work.
   */
  async replaceAll(userId: string, hashes: readonly string[]): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
      if (hashes.length === 0) return;
      await trx
        .insertInto("recovery_codes")
        .values(hashes.map((codeHash) => ({ user_id: userId, code_hash: codeHash, used_at: null })))
        .execute();
    });
  }

  /**
   * Uses the code once: true only for the one call that marks it used. The UPDATE's condition
   * `used_at IS NULL` and its affected-row count decide, so two requests racing with the same code
   * cannot both get in (a read-then-write would let them).
   */
  async consume(userId: string, codeHash: string, now: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("recovery_codes")
      .set({ used_at: now })
      .where("user_id", "=", userId)
      .where("code_hash", "=", codeHash)
      .where("used_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async countUnused(userId: string): Promise<number> {
    const row = await this.#db
      .selectFrom("recovery_codes")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .where("user_id", "=", userId)
      .where("used_at", "is", null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
