import type { Kysely, Selectable } from "kysely";
import type { AlertsTable, Database } from "./database-schema.ts";

export type AlertRow = Selectable<AlertsTable>;

/** A page of alerts, newest first. */
export interface AlertListQuery {
  readonly status?: "open" | "acknowledged";
  readonly limit: number;
  /** Only alerts fired before this one (its `fired_at` and id): the next page. */
  readonly before?: { readonly firedAt: string; readonly id: string };
}

/** Raised alerts and the rules' cursor (migration 0012). */
export class AlertRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Stores an alert; false when one with its id exists already (it was raised before a crash). */
  async insert(row: AlertRow): Promise<boolean> {
    const result = await this.#db
      .insertInto("alerts")
      .values(row)
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async findById(id: string): Promise<AlertRow | null> {
    return (await this.#db.selectFrom("alerts").selectAll().where("id", "=", id).executeTakeFirst()) ?? null;
  }

  async list(query: AlertListQuery): Promise<AlertRow[]> {
    let select = this.#db.selectFrom("alerts").selectAll();
    if (query.status !== undefined) select = select.where("status", "=", query.status);
    const before = query.before;
    if (before !== undefined) {
      select = select.where((eb) =>
        eb.or([
          eb("fired_at", "<", before.firedAt),
          eb.and([eb("fired_at", "=", before.firedAt), eb("id", "<", before.id)]),
        ]),
      );
    }
    return select.orderBy("fired_at", "desc").orderBy("id", "desc").limit(query.limit).execute();
  }

  /** Alerts with a notification still to (re)try, oldest first. */
  async withPendingWork(limit: number): Promise<AlertRow[]> {
    return this.#db
      .selectFrom("alerts")
      .selectAll()
      .where("notify_pending", "=", 1)
      .orderBy("fired_at")
      .limit(limit)
      .execute();
  }

  /** Each channel's delivery as JSON, and whether one is still to be (re)tried. */
  async setNotifications(id: string, notifications: string, pending: boolean): Promise<void> {
    await this.#db
      .updateTable("alerts")
      .set({ notifications, notify_pending: pending ? 1 : 0 })
      .where("id", "=", id)
      .execute();
  }

  async setResponse(id: string, response: string): Promise<void> {
    await this.#db.updateTable("alerts").set({ response }).where("id", "=", id).execute();
  }

  /** Acknowledges an open alert; false when it was acknowledged already. */
  async acknowledge(id: string, by: string, at: string, note: string | null): Promise<boolean> {
    const result = await this.#db
      .updateTable("alerts")
      .set({ status: "acknowledged", acknowledged_at: at, acknowledged_by: by, note })
      .where("id", "=", id)
      .where("status", "=", "open")
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async cursor(): Promise<number> {
    const row = await this.#db
      .selectFrom("alert_state")
      .select("cursor")
      .where("id", "=", 1)
      .executeTakeFirst();
    return row?.cursor ?? 0;
  }

  /** Moves the cursor forward (never back: two evaluators racing after a lease expiry keep the highest). */
  async advance(to: number): Promise<void> {
    await this.#db
      .insertInto("alert_state")
      .values({ id: 1, cursor: to })
      .onConflict((oc) => oc.column("id").doUpdateSet({ cursor: to }).where("alert_state.cursor", "<", to))
      .execute();
  }

  async countOpen(): Promise<number> {
    const row = await this.#db
      .selectFrom("alerts")
      .select((eb) => eb.fn.countAll<number | string>().as("count"))
      .where("status", "=", "open")
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }
}
