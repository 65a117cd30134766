import type { Kysely } from "kysely";
import { AccountLinkRecords } from "./account-link-records.ts";
import type { Database } from "./database-schema.ts";
import { SessionRecords } from "./session-records.ts";
import { UserRecords } from "./user-records.ts";

/** The tables behind people's accounts, on one connection or inside one transaction. */
export interface AccountTables {
  readonly users: UserRecords;
  readonly sessions: SessionRecords;
  readonly links: AccountLinkRecords;
}

/**
 * Accounts, their sessions and their one-time links, with transactions across them: using a link
 * and creating the user (or setting the password and ending the sessions) commit together, or
 * not at all. Methods that open a transaction of their own (`updateKeepingAnAdmin`) must not be
 * called on the tables a transaction hands out.
 */
export class AccountStores implements AccountTables {
  readonly users: UserRecords;
  readonly sessions: SessionRecords;
  readonly links: AccountLinkRecords;
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
    ({ users: this.users, sessions: this.sessions, links: this.links } = tablesOf(db));
  }

  /** Runs `work` in one transaction; anything it throws rolls it back and is thrown again. */
  async transaction<T>(work: (tables: AccountTables) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute((trx) => work(tablesOf(trx)));
  }
}

function tablesOf(db: Kysely<Database>): AccountTables {
  return { users: new UserRecords(db), sessions: new SessionRecords(db), links: new AccountLinkRecords(db) };
}
