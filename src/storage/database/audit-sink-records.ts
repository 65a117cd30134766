import type { Kysely, Selectable, Updateable } from "kysely";
import type { AuditSinkParkedTable, AuditSinksTable, Database } from "./database-schema.ts";

export type AuditSinkRow = Selectable<AuditSinksTable>;
export type AuditSinkParkedRow = Selectable<AuditSinkParkedTable>;
/** What a change to a sink's settings may write. */
export type AuditSinkChange = Pick<
  Updateable<AuditSinksTable>,
  "name" | "url" | "format" | "options" | "secret" | "paused_at" | "next_attempt_at" | "attempts"
> & { readonly updated_at: string };

/** The end of one delivered batch: the new cursors, and how many records the receiver got. */
export interface DeliveredBatch {
  readonly fromCursor: number;
  readonly cursor: number;
  readonly checkpointCursor: number;
  readonly delivered: number;
  readonly at: string;
}

/** A failed attempt: the error, and when to try again. */
export interface FailedAttempt {
  readonly error: string;
  readonly at: string;
  readonly attempts: number;
  readonly nextAttemptAt: string;
}

/** The audit sinks and their parked records (migration 0010). */
export class AuditSinkRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: AuditSinkRow): Promise<void> {
    await this.#db.insertInto("audit_sinks").values(row).execute();
  }

  async list(): Promise<AuditSinkRow[]> {
    return this.#db.selectFrom("audit_sinks").selectAll().orderBy("created_at").orderBy("id").execute();
  }

  async findById(id: string): Promise<AuditSinkRow | null> {
    return (
      (await this.#db.selectFrom("audit_sinks").selectAll().where("id", "=", id).executeTakeFirst()) ?? null
    );
  }

  async findByName(name: string): Promise<AuditSinkRow | null> {
    return (
      (await this.#db.selectFrom("audit_sinks").selectAll().where("name", "=", name).executeTakeFirst()) ??
      null
    );
  }

  async update(id: string, change: AuditSinkChange): Promise<void> {
    await this.#db.updateTable("audit_sinks").set(change).where("id", "=", id).execute();
  }

  /** Deletes the sink and its parked records; false when there was none. */
  async delete(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom("audit_sinks").where("id", "=", id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /**
   * Moves the cursors past a delivered batch and clears the backoff, only if the cursor is still
   * where the batch started (another node that took over the sink after a lease expired may have
   * moved it): false then, and nothing changes.
   */
  async advance(id: string, batch: DeliveredBatch): Promise<boolean> {
    const result = await this.#db
      .updateTable("audit_sinks")
      .set((eb) => ({
        cursor: batch.cursor,
        checkpoint_cursor: batch.checkpointCursor,
        delivered: eb("delivered", "+", batch.delivered),
        attempts: 0,
        next_attempt_at: null,
        last_success_at: batch.at,
      }))
      .where("id", "=", id)
      .where("cursor", "=", batch.fromCursor)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async recordFailure(id: string, failure: FailedAttempt): Promise<void> {
    await this.#db
      .updateTable("audit_sinks")
      .set({
        attempts: failure.attempts,
        next_attempt_at: failure.nextAttemptAt,
        last_error: failure.error,
        last_error_at: failure.at,
      })
      .where("id", "=", id)
      .execute();
  }

  /** Sets records aside; parking one twice keeps the first. */
  async park(rows: readonly AuditSinkParkedRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#db
      .insertInto("audit_sink_parked")
      .values([...rows])
      .onConflict((oc) => oc.columns(["sink_id", "record_id"]).doNothing())
      .execute();
  }

  /** A sink's parked records, oldest first. */
  async parked(sinkId: string, limit: number): Promise<AuditSinkParkedRow[]> {
    return this.#db
      .selectFrom("audit_sink_parked")
      .selectAll()
      .where("sink_id", "=", sinkId)
      .orderBy("seq")
      .orderBy("kind")
      .limit(limit)
      .execute();
  }

  async findParked(sinkId: string, recordId: string): Promise<AuditSinkParkedRow | null> {
    return (
      (await this.#db
        .selectFrom("audit_sink_parked")
        .selectAll()
        .where("sink_id", "=", sinkId)
        .where("record_id", "=", recordId)
        .executeTakeFirst()) ?? null
    );
  }

  async unpark(sinkId: string, recordId: string): Promise<void> {
    await this.#db
      .deleteFrom("audit_sink_parked")
      .where("sink_id", "=", sinkId)
      .where("record_id", "=", recordId)
      .execute();
  }

  /** Parked records per sink id. */
  async parkedCounts(): Promise<Map<string, number>> {
    const rows = await this.#db
      .selectFrom("audit_sink_parked")
      .select((eb) => ["sink_id", eb.fn.countAll<number | string>().as("count")])
      .groupBy("sink_id")
      .execute();
    return new Map(rows.map((row) => [row.sink_id, Number(row.count)]));
  }

  /** The lowest cursor of every sink, paused ones included; null without sinks. */
  async lowestCursor(): Promise<number | null> {
    const row = await this.#db
      .selectFrom("audit_sinks")
      .select((eb) => eb.fn.min<number | string | null>("cursor").as("lowest"))
      .executeTakeFirst();
    return row?.lowest === null || row?.lowest === undefined ? null : Number(row.lowest);
  }
}
