import type { Kysely } from "kysely";
import type { Database } from "./database-schema.ts";

export interface SealedRawIp {
  readonly seq: number;
  readonly day: string;
  readonly sealed: string;
}

/** Day keys and the sealed raw addresses of `audit_ip_keys` / `audit_raw_ips`. */
export class RawIpRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * The sealed key of `day`: the stored one, or `candidate` stored now. Several processes may
   * race to create a day's key; the first insert wins and everyone reads that one.
   */
  async dayKey(day: string, candidate: () => string, now: Date): Promise<string> {
    await this.#db
      .insertInto("audit_ip_keys")
      .values({ day, sealed_key: candidate(), created_at: now.toISOString() })
      .onConflict((oc) => oc.column("day").doNothing())
      .execute();
    const row = await this.#db
      .selectFrom("audit_ip_keys")
      .select("sealed_key")
      .where("day", "=", day)
      .executeTakeFirstOrThrow();
    return row.sealed_key;
  }

  /** The sealed key of `day`, or null once it was shredded. */
  async existingDayKey(day: string): Promise<string | null> {
    const row = await this.#db
      .selectFrom("audit_ip_keys")
      .select("sealed_key")
      .where("day", "=", day)
      .executeTakeFirst();
    return row?.sealed_key ?? null;
  }

  async find(seq: number): Promise<SealedRawIp | null> {
    const row = await this.#db
      .selectFrom("audit_raw_ips")
      .select(["seq", "day", "sealed"])
      .where("seq", "=", seq)
      .executeTakeFirst();
    return row ?? null;
  }

  /** Destroys the keys (and drops the sealed addresses) of the days before `day`; returns those days. */
  async shredBefore(day: string): Promise<string[]> {
    return this.#db.transaction().execute(async (trx) => {
      const days = await trx
        .selectFrom("audit_ip_keys")
        .select("day")
        .where("day", "<", day)
        .orderBy("day")
        .execute();
      await trx.deleteFrom("audit_ip_keys").where("day", "<", day).execute();
      await trx.deleteFrom("audit_raw_ips").where("day", "<", day).execute();
      return days.map((row) => row.day);
    });
  }
}
