import type { Kysely } from "kysely";
import type { AuditCheckpointRow } from "./audit-records.ts";
import type { Database } from "./database-schema.ts";

/**
 * One signed checkpoint by tree size (the primary key), for the proof endpoints: a proof for a
 * given size comes with the checkpoint of that size when there is one. (A candidate for
 * `AuditRecords.checkpointAt`; kept apart so as not to touch that module.)
 */
export class AuditCheckpointLookup {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async checkpointAt(size: number): Promise<AuditCheckpointRow | null> {
    const row = await this.#db
      .selectFrom("audit_checkpoints")
      .selectAll()
      .where("size", "=", size)
      .executeTakeFirst();
    return row === undefined
      ? null
      : { size: row.size, rootHash: row.root_hash, note: row.note, createdAt: row.created_at };
  }
}
