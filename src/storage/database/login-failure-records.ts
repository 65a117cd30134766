import type { Kysely } from "kysely";
import { newId } from "../../ids/new-id.ts";
import type { Database } from "./database-schema.ts";

/**
 * The `login_failures` table: one row per failed login and subject (`account:<e-mail>` or
 * `ip:<address>`). Rows rather than a counter per subject, so that the lockout window slides:
 * each failure stops counting exactly `window` after it happened, with no reset cliff to time
 * an attack against. Times are ISO 8601 strings in UTC, so they compare as text.
 */
export class LoginFailureRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async add(subject: string, at: string): Promise<void> {
    await this.#db.insertInto("login_failures").values({ id: newId(), subject, at }).execute();
  }

  /** Failures of the subject strictly after `since` (the start of the window). */
  async count(subject: string, since: string): Promise<number> {
    const row = await this.#db
      .selectFrom("login_failures")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .where("subject", "=", subject)
      .where("at", ">", since)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * The times of the subject's failures strictly after `since`, newest first, at most `limit` of
   * them: enough to tell whether a subject is locked and when the lock lifts, in one bounded read
   * (the `(subject, at)` index serves it).
   */
  async recent(subject: string, since: string, limit: number): Promise<string[]> {
    const rows = await this.#db
      .selectFrom("login_failures")
      .select("at")
      .where("subject", "=", subject)
      .where("at", ">", since)
      .orderBy("at", "desc")
      .limit(limit)
      .execute();
    return rows.map((row) => row.at);
  }

  /** Forgets the subject's failures (a successful login clears its account). */
  async clear(subject: string): Promise<number> {
    const result = await this.#db
      .deleteFrom("login_failures")
      .where("subject", "=", subject)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Removes the failures older than `before`, which no window counts any more. */
  async prune(before: string): Promise<number> {
    const result = await this.#db.deleteFrom("login_failures").where("at", "<", before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
