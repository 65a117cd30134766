import type { Kysely, Selectable, Transaction } from "kysely";
import type { AuditLogsTable, Database } from "./database-schema.ts";
import type { SealedRawIp } from "./raw-ip-records.ts";

/**
 * The columns of a stored event that are read back: the envelope, the leaf hash, the purge mark.
 * Not the search keys the database derives from the JSON columns: reads never need them, and a
 * corrupt JSON column must reach the verifier as what it is, not fail the read.
 */
export const AUDIT_ROW_COLUMNS = [
  "seq",
  "id",
  "schema_version",
  "timestamp",
  "event",
  "action",
  "severity",
  "outcome",
  "user",
  "actor",
  "ip_address",
  "user_agent",
  "request_id",
  "target",
  "details",
  "leaf_hash",
  "purged_at",
] as const;

export type AuditRow = Pick<Selectable<AuditLogsTable>, (typeof AUDIT_ROW_COLUMNS)[number]>;
/** A row to append: the read columns and the application-computed search key of the address. */
export type NewAuditRow = AuditRow & { readonly ip_key: string | null };

export interface AuditCheckpointRow {
  readonly size: number;
  readonly rootHash: string;
  readonly note: string;
  readonly createdAt: string;
}

export interface AuditState {
  readonly size: number;
  readonly frontier: readonly string[];
}

/** Rows per INSERT statement: well under SQLite's limit on bound parameters. */
const INSERT_CHUNK = 500;

/**
 * The audit tables. Appends run in one transaction that starts with a write to `audit_state`,
 * which takes the write lock (SQLite) or the row lock (PostgreSQL) before anything is read: seq
 * numbers stay contiguous across processes and nodes.
 */
export class AuditRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Runs `build` with the current state under the lock and inserts the rows it returns, with the
   * new state, in one transaction.
   */
  async append(
    build: (state: AuditState) => { rows: NewAuditRow[]; state: AuditState; rawIps?: readonly SealedRawIp[] },
  ): Promise<AuditState> {
    return this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable("audit_state")
        .set((eb) => ({ size: eb.ref("size") }))
        .where("id", "=", 1)
        .execute();
      const current = await readState(trx);
      const { rows, state, rawIps = [] } = build(current);
      for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
        await trx
          .insertInto("audit_logs")
          .values(rows.slice(start, start + INSERT_CHUNK))
          .execute();
      }
      // The raw addresses (PB_AUDIT_RAW_IP_DAYS), sealed, committed with their events.
      for (let start = 0; start < rawIps.length; start += INSERT_CHUNK) {
        await trx
          .insertInto("audit_raw_ips")
          .values(rawIps.slice(start, start + INSERT_CHUNK))
          .execute();
      }
      await trx
        .updateTable("audit_state")
        .set({ size: state.size, frontier: JSON.stringify(state.frontier) })
        .where("id", "=", 1)
        .execute();
      return state;
    });
  }

  async state(): Promise<AuditState> {
    return readState(this.#db);
  }

  /** Rows with seq in [from, from + limit), ascending. */
  async range(from: number, limit: number): Promise<AuditRow[]> {
    return this.#db
      .selectFrom("audit_logs")
      .select(AUDIT_ROW_COLUMNS)
      .where("seq", ">=", from)
      .orderBy("seq")
      .limit(limit)
      .execute();
  }

  /** Every row in ascending seq, read in pages (constant memory). */
  async *scan(pageSize = 5000): AsyncGenerator<AuditRow> {
    let next = 1;
    for (;;) {
      const page = await this.range(next, pageSize);
      if (page.length === 0) return;
      yield* page;
      const last = page[page.length - 1];
      if (last === undefined) return;
      next = last.seq + 1;
    }
  }

  /** Seq and timestamp of up to `limit` events before seq `before`, newest first (cheap: no payload). */
  async timesBefore(before: number, limit: number): Promise<{ seq: number; timestamp: string }[]> {
    return this.#db
      .selectFrom("audit_logs")
      .select(["seq", "timestamp"])
      .where("seq", "<", before)
      .orderBy("seq", "desc")
      .limit(limit)
      .execute();
  }

  async findById(id: string): Promise<AuditRow | null> {
    return (
      (await this.#db
        .selectFrom("audit_logs")
        .select(AUDIT_ROW_COLUMNS)
        .where("id", "=", id)
        .executeTakeFirst()) ?? null
    );
  }

  /** The newest event of a category and action, or null. */
  async latestEvent(event: string, action: string): Promise<AuditRow | null> {
    const row = await this.#db
      .selectFrom("audit_logs")
      .select(AUDIT_ROW_COLUMNS)
      .where("event", "=", event)
      .where("action", "=", action)
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  }

  /** Leaf hashes of seq in [from, to], ascending. */
  async leafHashes(from: number, to: number): Promise<string[]> {
    const rows = await this.#db
      .selectFrom("audit_logs")
      .select("leaf_hash")
      .where("seq", ">=", from)
      .where("seq", "<=", to)
      .orderBy("seq")
      .execute();
    return rows.map((row) => row.leaf_hash);
  }

  async addCheckpoint(checkpoint: AuditCheckpointRow): Promise<void> {
    await this.#db
      .insertInto("audit_checkpoints")
      .values({
        size: checkpoint.size,
        root_hash: checkpoint.rootHash,
        note: checkpoint.note,
        created_at: checkpoint.createdAt,
      })
      .onConflict((oc) => oc.column("size").doNothing())
      .execute();
  }

  async latestCheckpoint(): Promise<AuditCheckpointRow | null> {
    const row = await this.#db
      .selectFrom("audit_checkpoints")
      .selectAll()
      .orderBy("size", "desc")
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : toCheckpoint(row);
  }

  async checkpoints(): Promise<AuditCheckpointRow[]> {
    const rows = await this.#db.selectFrom("audit_checkpoints").selectAll().orderBy("size").execute();
    return rows.map(toCheckpoint);
  }

  /** Checkpoints of sizes in (after, upTo], ascending, at most `limit`. */
  async checkpointsIn(after: number, upTo: number, limit: number): Promise<AuditCheckpointRow[]> {
    const rows = await this.#db
      .selectFrom("audit_checkpoints")
      .selectAll()
      .where("size", ">", after)
      .where("size", "<=", upTo)
      .orderBy("size")
      .limit(limit)
      .execute();
    return rows.map(toCheckpoint);
  }
}

async function readState(db: Kysely<Database> | Transaction<Database>): Promise<AuditState> {
  const row = await db
    .selectFrom("audit_state")
    .select(["size", "frontier"])
    .where("id", "=", 1)
    .executeTakeFirstOrThrow();
  return { size: row.size, frontier: JSON.parse(row.frontier) as string[] };
}

function toCheckpoint(row: {
  size: number;
  root_hash: string;
  note: string;
  created_at: string;
}): AuditCheckpointRow {
  return { size: row.size, rootHash: row.root_hash, note: row.note, createdAt: row.created_at };
}
