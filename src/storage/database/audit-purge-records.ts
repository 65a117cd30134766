import type { Kysely } from "kysely";
import { AuditSearchIndex, lockCursor, removeFromSearchIndex } from "./audit-search-index.ts";
import type { Database } from "./database-schema.ts";

export interface PurgedBatch {
  /** Events whose payload this batch cleared. */
  readonly count: number;
  /** Old events the batch found in the search index (fewer than asked: nothing older is left). */
  readonly found: number;
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
 * What a purge writes: the payload cleared, the purge time set; the one UPDATE the append-only
 * guard lets through.
 */
export function purgedPayload(purgedAt: string) {
  return {
    user: null,
    actor: null,
    ip_address: null,
    user_agent: null,
    request_id: null,
    target: null,
    details: null,
    ip_key: null,
    purged_at: purgedAt,
  } as const;
}

/**
 * The retention side of `audit_logs`: the only writer that changes stored events. A purge clears
 * the payload columns and sets `purged_at`, the one UPDATE the append-only guard lets through
 * (migration 0003); seq, id, timestamp, category, action, severity, outcome and the leaf hash
 * stay, so the Merkle tree, the checkpoints and every proof stay valid.
 */
export class AuditPurgeRecords {
  readonly #db: Kysely<Database>;
  readonly #index: AuditSearchIndex;

  constructor(db: Kysely<Database>) {
    this.#db = db;
    this.#index = new AuditSearchIndex(db);
  }

  /**
   * Purges up to `limit` of the oldest events of `category` older than `before` (ISO time) and
   * not after `upToSeq` (what every audit sink holds; null: no limit), in one short transaction: their payload in the log and their entries in the search index.
   * Returns how many and their seq range.
   *
   * The candidates come from the search index (its `(event, timestamp)` index; the log itself
   * has no index but its key), so the index must have caught up past `before` first
   * (AuditRetention does). On SQLite the index is another file, and a transaction over two files
   * is atomic in each but not across them: after a crash between the two, the index may still
   * list an event whose payload is gone. The next purge then finds it again among the old
   * events, the log's update skips it, and its index entry goes.
   */
  async purgeBatch(
    category: string,
    before: string,
    purgedAt: string,
    limit: number,
    upToSeq: number | null = null,
  ): Promise<PurgedBatch> {
    await this.#index.catchUp();
    return this.#db.transaction().execute(async (trx) => {
      await lockCursor(trx);
      const rows = await trx
        .selectFrom("audit_search")
        .select("seq")
        .where("event", "=", category)
        .where("timestamp", "<", before)
        .$if(upToSeq !== null, (query) => query.where("seq", "<=", upToSeq ?? 0))
        .orderBy("timestamp")
        .orderBy("seq")
        .limit(limit)
        .execute();
      const seqs = rows.map((row) => row.seq).sort((a, b) => a - b);
      if (seqs.length === 0) return { count: 0, found: 0, firstSeq: null, lastSeq: null };
      const result = await trx
        .updateTable("audit_logs")
        .set(purgedPayload(purgedAt))
        .where("seq", "in", seqs)
        // Never a second purge of a row (the guard would refuse it), whoever else purges.
        .where("purged_at", "is", null)
        .executeTakeFirst();
      await removeFromSearchIndex(trx, seqs);
      return {
        count: Number(result.numUpdatedRows),
        found: seqs.length,
        firstSeq: seqs[0] ?? null,
        lastSeq: seqs.at(-1) ?? null,
      };
    });
  }

  /** Whether an event of `category` older than `before` and after `afterSeq` still has its payload. */
  async hasRetainedBefore(category: string, before: string, afterSeq: number): Promise<boolean> {
    const row = await this.#db
      .selectFrom("audit_search")
      .select("seq")
      .where("event", "=", category)
      .where("timestamp", "<", before)
      .where("seq", ">", afterSeq)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
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
