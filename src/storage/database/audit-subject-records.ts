import type { Kysely } from "kysely";
import type { Database } from "./database-schema.ts";

export interface AuditSubject {
  readonly id: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly createdAt: string;
  readonly erasedAt: string | null;
}

/** `audit_subjects`: who a stable actor id is, beside the log. */
export class AuditSubjectRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Records (or updates) who `id` is. */
  async put(id: string, person: { email: string | null; name: string | null }, now: Date): Promise<void> {
    await this.#db
      .insertInto("audit_subjects")
      .values({ id, email: person.email, name: person.name, created_at: now.toISOString(), erased_at: null })
      .onConflict((oc) =>
        oc.column("id").doUpdateSet({ email: person.email, name: person.name, erased_at: null }),
      )
      .execute();
  }

  /** The subjects an id, an e-mail address or a name designates (an e-mail may name several ids). */
  async find(idOrEmailOrName: string): Promise<AuditSubject[]> {
    const rows = await this.#db
      .selectFrom("audit_subjects")
      .selectAll()
      .where((eb) =>
        eb.or([
          eb("id", "=", idOrEmailOrName),
          eb("email", "=", idOrEmailOrName),
          eb("name", "=", idOrEmailOrName),
        ]),
      )
      .orderBy("id")
      .execute();
    return rows.map((row) => ({
      id: row.id,
      email: row.email,
      name: row.name,
      createdAt: row.created_at,
      erasedAt: row.erased_at,
    }));
  }

  /** Removes the e-mail and name of `ids`; the ids stay (events keep pointing at them). */
  async erase(ids: readonly string[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.#db
      .updateTable("audit_subjects")
      .set({ email: null, name: null, erased_at: now.toISOString() })
      .where("id", "in", ids)
      .execute();
  }
}
