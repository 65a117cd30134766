import type { Kysely } from "kysely";
import type { Database } from "./database-schema.ts";

/** Settings changed at run time: one JSON document per key. */
export class SettingsRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** The stored value, parsed, or undefined when the key was never set. */
  async get(key: string): Promise<unknown> {
    const row = await this.#db
      .selectFrom("settings")
      .select("value")
      .where("key", "=", key)
      .executeTakeFirst();
    return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
  }

  async put(key: string, value: unknown, now: Date): Promise<void> {
    const text = JSON.stringify(value);
    const updatedAt = now.toISOString();
    await this.#db
      .insertInto("settings")
      .values({ key, value: text, updated_at: updatedAt })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: text, updated_at: updatedAt }))
      .execute();
  }
}
