import type { Kysely } from "kysely";
import type { Database } from "./database-schema.ts";

export interface PurgedBatch {
  readonly count: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
}

export interface CategoryRetentionStats {
  readonly category: string;
  /** Events that still have their payload. */
  readonly retained: number;
  /** Events whose payload retention cleared (their place and leaf hash remain). */
  readonly purged: number;
  /** The oldest event that still has its payload, or null. */
  readonly oldestRetained: string | null;
}

/**
 * The retention side of `audit_logs`: the only writer that changes stored events. A purge clears
 * the payload columns and sets `purged_at`, the one UPDATE the append-only guard lets through
 * (migration 0003); seq, id, timestamp, category, action, severity, outcome and the leaf hash
 * stay, so the Merkle tree, the checkpoints and every proof stay valid.
 */
export class AuditPurgeRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Purges up to `limit` of the oldest events of `category` older than `before` (ISO time), in
   * one short transaction. Returns how many and their seq range.
   */
  async purgeBatch(category: string, before: string, purgedAt: string, limit: number): Promise<PurgedBatch> {
    return this.#db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom("audit_logs")
        .select("seq")
        .where("event", "=", category)
        .where("purged_at", "is", null)
        .where("timestamp", "<", before)
        .orderBy("seq")
        .limit(limit)
        .execute();
      const seqs = rows.map((row) => row.seq);
      if (seqs.length === 0) return { count: 0, firstSeq: null, lastSeq: null };
      await trx
        .updateTable("audit_logs")
        .set({
          user: null,
          actor: null,
          ip_address: null,
          user_agent: null,
          request_id: null,
          target: null,
          details: null,
          ip_key: null,
          purged_at: purgedAt,
        })
        .where("seq", "in", seqs)
        // Never a second purge of a row (the guard would refuse it), whoever else purges.
        .where("purged_at", "is", null)
        .execute();
      return { count: seqs.length, firstSeq: seqs[0] ?? null, lastSeq: seqs.at(-1) ?? null };
    });
  }

  /** Per category: retained and purged counts and the oldest retained event. */
  async stats(): Promise<CategoryRetentionStats[]> {
    const rows = await this.#db
      .selectFrom("audit_logs")
      .select((eb) => [
        "event",
        eb.fn.count<number | string>("seq").filterWhere("purged_at", "is", null).as("retained"),
        eb.fn.count<number | string>("seq").filterWhere("purged_at", "is not", null).as("purged"),
        eb.fn.min<string | null>("timestamp").filterWhere("purged_at", "is", null).as("oldest"),
      ])
      .groupBy("event")
      .execute();
    return rows.map((row) => ({
      category: row.event,
      retained: Number(row.retained),
      purged: Number(row.purged),
      oldestRetained: row.oldest ?? null,
    }));
  }
}
