import { PostgresAdapter, type Kysely, type Selectable, type Transaction } from "kysely";
import type { Database, UsersTable, UserStatus } from "./database-schema.ts";
import { SessionRecords } from "./session-records.ts";
import { TokenRecords } from "./token-records.ts";

/** A stored user (the password hash and TOTP secret included: callers decide what leaves). */
export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: string;
  readonly status: UserStatus;
  readonly passwordHash: string | null;
  readonly passwordChangedAt: string | null;
  readonly totpSecret: string | null;
  readonly totpEnabledAt: string | null;
  readonly totpLastStep: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NewUserRecord {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: string;
  readonly passwordHash: string | null;
  readonly createdAt: string;
}

export interface UserRecordPatch {
  readonly name?: string | null;
  readonly role?: string;
  readonly status?: "active" | "blocked";
  readonly passwordHash?: string | null;
  readonly passwordChangedAt?: string | null;
}

/** What deleting a user did. */
export interface DeletedUserRecord {
  /** The user as they were just before. */
  readonly before: UserRecord;
  /** Their tokens revoked now (those revoked earlier are not counted). */
  readonly revokedTokens: number;
  readonly endedSessions: number;
}

/**
 * The `users` table. A deleted user's row stays (status `deleted`, see `UserStatus`), but every
 * lookup here but the token owner's in `TokenRecords` treats it as absent.
 */
export class UserRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Inserts; null when the e-mail address is taken (the unique index decides, race-free). */
  async insert(user: NewUserRecord): Promise<UserRecord | null> {
    const row: Selectable<UsersTable> = {
      id: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      status: "active",
      password_hash: user.passwordHash,
      password_changed_at: user.passwordHash === null ? null : user.createdAt,
      totp_secret: null,
      totp_enabled_at: null,
      totp_last_step: null,
      created_at: user.createdAt,
      updated_at: user.createdAt,
    };
    const result = await this.#db
      .insertInto("users")
      .values(row)
      .onConflict((oc) => oc.column("email").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1 ? toUserRecord(row) : null;
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = await this.#db
      .selectFrom("users")
      .selectAll()
      .where("id", "=", id)
      .where("status", "!=", "deleted")
      .executeTakeFirst();
    return row === undefined ? null : toUserRecord(row);
  }

  /** By lower-cased e-mail address. */
  async findByEmail(email: string): Promise<UserRecord | null> {
    const row = await this.#db
      .selectFrom("users")
      .selectAll()
      .where("email", "=", email)
      .where("status", "!=", "deleted")
      .executeTakeFirst();
    return row === undefined ? null : toUserRecord(row);
  }

  /** Every user but the deleted ones. */
  async list(): Promise<UserRecord[]> {
    const rows = await this.#db
      .selectFrom("users")
      .selectAll()
      .where("status", "!=", "deleted")
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toUserRecord);
  }

  /** Active admins: the last one may be neither demoted, blocked nor deleted. */
  async countActiveAdmins(): Promise<number> {
    const row = await this.#db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .where("role", "=", "admin")
      .where("status", "=", "active")
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async update(id: string, patch: UserRecordPatch, now: string): Promise<UserRecord | null> {
    await this.#db
      .updateTable("users")
      .set(patchColumns(patch, now))
      .where("id", "=", id)
      .where("status", "!=", "deleted")
      .execute();
    return this.findById(id);
  }

  /**
   * Changes a user's role, status or name, unless that would leave no active admin: the check and
   * the change are one transaction, with the active admins' rows locked on PostgreSQL (SQLite
   * runs one write transaction at a time), so two admins demoting each other cannot both win.
   * Blocking a user ends their sessions in the same transaction. `last-admin` when refused; null
   * when no user (or only a deleted one) has this id.
   */
  async updateKeepingAnAdmin(
    id: string,
    patch: Pick<UserRecordPatch, "name" | "role" | "status">,
    now: string,
  ): Promise<UserRecord | "last-admin" | null> {
    return this.#db.transaction().execute(async (trx) => {
      const active = await lockActiveAdmins(trx);
      const before = await findLiveUser(trx, id);
      if (before === undefined) return null;
      const staysAdmin =
        (patch.role ?? before.role) === "admin" && (patch.status ?? before.status) === "active";
      if (active.includes(id) && !staysAdmin && active.length === 1) return "last-admin";
      await trx.updateTable("users").set(patchColumns(patch, now)).where("id", "=", id).execute();
      if (patch.status === "blocked") await new SessionRecords(trx).deleteAllForUser(id);
      const after = await trx.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
      return toUserRecord(after);
    });
  }

  /**
   * Soft-deletes a user, unless they are the last active admin (the same rule and locking as
   * `updateKeepingAnAdmin`). In one transaction: the row becomes `deleted`, its e-mail address is
   * replaced by `deleted:<id>` (so the address can be given to a new account), its name,
   * password and second factor are cleared; the user's sessions and recovery codes are deleted and
   * their tokens revoked. The id and role stay, for the audit log and the tokens' owner.
   * `last-admin` when refused; null when no user (or only a deleted one) has this id.
   */
  async deleteKeepingAnAdmin(id: string, now: string): Promise<DeletedUserRecord | "last-admin" | null> {
    return this.#db.transaction().execute(async (trx) => {
      const active = await lockActiveAdmins(trx);
      const before = await findLiveUser(trx, id);
      if (before === undefined) return null;
      if (active.includes(id) && active.length === 1) return "last-admin";
      await trx
        .updateTable("users")
        .set({
          status: "deleted",
          email: deletedEmail(id),
          name: null,
          password_hash: null,
          password_changed_at: null,
          totp_secret: null,
          totp_enabled_at: null,
          updated_at: now,
        })
        .where("id", "=", id)
        .execute();
      const endedSessions = await new SessionRecords(trx).deleteAllForUser(id);
      await trx.deleteFrom("recovery_codes").where("user_id", "=", id).execute();
      const revokedTokens = await new TokenRecords(trx).revokeAllOwnedBy(id, now);
      // An open password reset link of a deleted account must not outlive it.
      await trx
        .updateTable("account_links")
        .set({ revoked_at: now })
        .where("user_id", "=", id)
        .where("used_at", "is", null)
        .where("revoked_at", "is", null)
        .execute();
      return { before: toUserRecord(before), revokedTokens, endedSessions };
    });
  }

  /**
   * Stores the sealed TOTP secret and when two-factor authentication was enabled: a secret with
   * `enabledAt` null is an enrolment waiting for its first code; both null turn 2FA off. The last
   * accepted step is kept on purpose (it only ever grows, see `setTotpLastStep`). False when no
   * user has this id.
   */
  async setTotp(
    id: string,
    sealedSecret: string | null,
    enabledAt: string | null,
    now: string,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable("users")
      .set({ totp_secret: sealedSecret, totp_enabled_at: enabledAt, updated_at: now })
      .where("id", "=", id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Records the TOTP step just accepted, only if it is later than the one stored, and says
   * whether it was. The comparison happens in the UPDATE itself, so of two requests racing with
   * the same code exactly one sees `true`: the database, not the process, decides the replay.
   */
  async setTotpLastStep(id: string, step: number): Promise<boolean> {
    const result = await this.#db
      .updateTable("users")
      .set({ totp_last_step: step })
      .where("id", "=", id)
      .where((eb) => eb.or([eb("totp_last_step", "is", null), eb("totp_last_step", "<", step)]))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

/**
 * The ids of the active admins, their rows locked until the transaction ends on PostgreSQL (SQLite
 * runs one write transaction at a time).
 */
async function lockActiveAdmins(trx: Transaction<Database>): Promise<string[]> {
  let admins = trx
    .selectFrom("users")
    .select("id")
    .where("role", "=", "admin")
    .where("status", "=", "active");
  if (trx.getExecutor().adapter instanceof PostgresAdapter) admins = admins.forUpdate();
  return (await admins.execute()).map((row) => row.id);
}

async function findLiveUser(
  trx: Transaction<Database>,
  id: string,
): Promise<Selectable<UsersTable> | undefined> {
  return trx
    .selectFrom("users")
    .selectAll()
    .where("id", "=", id)
    .where("status", "!=", "deleted")
    .executeTakeFirst();
}

/**
 * What a deleted user's e-mail column holds: unique (the id is), and never an e-mail address (no
 * `@`), so no sign-in or new account can match it.
 */
export function deletedEmail(id: string): string {
  return `deleted:${id}`;
}

/** The columns a patch sets (the members it has), and `updated_at`. */
function patchColumns(patch: UserRecordPatch, now: string): Partial<Selectable<UsersTable>> {
  const set: Partial<Selectable<UsersTable>> = { updated_at: now };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.role !== undefined) set.role = patch.role;
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.passwordHash !== undefined) set.password_hash = patch.passwordHash;
  if (patch.passwordChangedAt !== undefined) set.password_changed_at = patch.passwordChangedAt;
  return set;
}

function toUserRecord(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    status: row.status,
    passwordHash: row.password_hash,
    passwordChangedAt: row.password_changed_at,
    totpSecret: row.totp_secret,
    totpEnabledAt: row.totp_enabled_at,
    totpLastStep: row.totp_last_step,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
