import type { Kysely, Selectable } from "kysely";
import type { Database, TokensTable, UserStatus } from "./database-schema.ts";

/**
 * A stored API token. Scopes and package patterns are given back as stored (the access layer
 * validates them); the plaintext token is never stored, only its SHA-256.
 */
export interface TokenRecord {
  readonly id: string;
  readonly description: string;
  readonly tokenHash: string;
  readonly fingerprint: string;
  readonly scopes: readonly string[];
  /** Empty means every package. */
  readonly packagePatterns: readonly string[];
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The owner of a personal token; null for a machine token. */
  readonly userId: string | null;
}

/** What authentication needs to know of a personal token's owner. */
export interface TokenOwnerRecord {
  readonly id: string;
  /** As stored (the access layer validates it); null when the user's row is gone altogether. */
  readonly role: string | null;
  /** A user whose row is gone altogether counts as `deleted`. */
  readonly status: UserStatus;
}

/** A token with its owner's role and status, read together in one query. */
export interface TokenWithOwner extends TokenRecord {
  /** Null for a token without an owner. */
  readonly owner: TokenOwnerRecord | null;
}

/** Limits a lookup or change to the tokens of one owner. */
export interface TokenOwnerFilter {
  readonly userId?: string;
}

export interface NewTokenRecord {
  readonly id: string;
  readonly description: string;
  readonly tokenHash: string;
  readonly fingerprint: string;
  readonly scopes: readonly string[];
  readonly packagePatterns: readonly string[];
  readonly expiresAt: string | null;
  readonly createdAt: string;
  readonly userId?: string | null;
}

export interface TokenRecordPatch {
  readonly description?: string;
  readonly scopes?: readonly string[];
  readonly packagePatterns?: readonly string[];
  readonly expiresAt?: string | null;
}

/** The `tokens` table. */
export class TokenRecords {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(token: NewTokenRecord): Promise<TokenRecord> {
    const row: Selectable<TokensTable> = {
      id: token.id,
      description: token.description,
      token_hash: token.tokenHash,
      fingerprint: token.fingerprint,
      scopes: JSON.stringify(token.scopes),
      package_patterns: JSON.stringify(token.packagePatterns),
      expires_at: token.expiresAt,
      revoked_at: null,
      last_used_at: null,
      created_at: token.createdAt,
      updated_at: token.createdAt,
      user_id: token.userId ?? null,
    };
    await this.#db.insertInto("tokens").values(row).execute();
    return toTokenRecord(row);
  }

  /**
   * The hot path of authentication: one query, by the unique `token_hash`, joined with the owner's
   * row (by its primary key) so a blocked, deleted or demoted owner is seen on the very next request.
   */
  async findByHash(tokenHash: string): Promise<TokenWithOwner | null> {
    const row = await this.#db
      .selectFrom("tokens")
      .leftJoin("users", "users.id", "tokens.user_id")
      .selectAll("tokens")
      .select(["users.role as owner_role", "users.status as owner_status"])
      .where("tokens.token_hash", "=", tokenHash)
      .executeTakeFirst();
    if (row === undefined) return null;
    const { owner_role: role, owner_status: status, ...token } = row;
    const record = toTokenRecord(token);
    const owner =
      record.userId === null ? null : { id: record.userId, role, status: status ?? ("deleted" as const) };
    return { ...record, owner };
  }

  /** The role and status of a user who may own tokens; null when no such user row exists. */
  async findOwner(userId: string): Promise<TokenOwnerRecord | null> {
    const row = await this.#db
      .selectFrom("users")
      .select(["id", "role", "status"])
      .where("id", "=", userId)
      .executeTakeFirst();
    return row ?? null;
  }

  async findById(id: string): Promise<TokenRecord | null> {
    const row = await this.#db.selectFrom("tokens").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? null : toTokenRecord(row);
  }

  /** Every token (or every token of one owner), revoked and expired ones included, newest first. */
  async list(filter: TokenOwnerFilter = {}): Promise<TokenRecord[]> {
    let query = this.#db.selectFrom("tokens").selectAll();
    if (filter.userId !== undefined) query = query.where("user_id", "=", filter.userId);
    const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").execute();
    return rows.map(toTokenRecord);
  }

  /**
   * Records the revocation. A token already revoked keeps its first revocation time. Returns
   * false when no token has this id (of this owner, with a filter).
   */
  async markRevoked(id: string, at: string, filter: TokenOwnerFilter = {}): Promise<boolean> {
    let query = this.#db
      .updateTable("tokens")
      .set((eb) => ({
        revoked_at: eb.fn.coalesce("revoked_at", eb.val(at)),
        updated_at: eb.case().when("revoked_at", "is", null).then(at).else(eb.ref("updated_at")).end(),
      }))
      .where("id", "=", id);
    if (filter.userId !== undefined) query = query.where("user_id", "=", filter.userId);
    const result = await query.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Revokes every token of a user not yet revoked (a deleted user). Returns how many. */
  async revokeAllOwnedBy(userId: string, at: string): Promise<number> {
    const result = await this.#db
      .updateTable("tokens")
      .set({ revoked_at: at, updated_at: at })
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Applies the fields present in the patch. Returns false when no token has this id (of this
   * owner, with a filter).
   */
  async update(
    id: string,
    patch: TokenRecordPatch,
    at: string,
    filter: TokenOwnerFilter = {},
  ): Promise<boolean> {
    const changes: Partial<Selectable<TokensTable>> = { updated_at: at };
    if (patch.description !== undefined) changes.description = patch.description;
    if (patch.scopes !== undefined) changes.scopes = JSON.stringify(patch.scopes);
    if (patch.packagePatterns !== undefined) changes.package_patterns = JSON.stringify(patch.packagePatterns);
    if (patch.expiresAt !== undefined) changes.expires_at = patch.expiresAt;
    let query = this.#db.updateTable("tokens").set(changes).where("id", "=", id);
    if (filter.userId !== undefined) query = query.where("user_id", "=", filter.userId);
    const result = await query.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Sets `last_used_at`, never moving it backwards. Cheap (one indexed update, `updated_at`
   * untouched); callers throttle it.
   */
  async touchLastUsed(id: string, at: string): Promise<void> {
    await this.#db
      .updateTable("tokens")
      .set({ last_used_at: at })
      .where("id", "=", id)
      .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", at)]))
      .execute();
  }
}

function toTokenRecord(row: Selectable<TokensTable>): TokenRecord {
  return {
    id: row.id,
    description: row.description,
    tokenHash: row.token_hash,
    fingerprint: row.fingerprint,
    scopes: parseStringArray(row.scopes),
    packagePatterns: parseStringArray(row.package_patterns),
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    userId: row.user_id,
  };
}

/**
 * A JSON array of strings. Anything else is corruption and throws: reading it as an empty list
 * would turn a restricted token into one that sees every package.
 */
function parseStringArray(json: string): string[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === "string")) {
    throw new Error("the tokens table holds a JSON column that is not an array of strings");
  }
  return value;
}
