import type { Kysely, Selectable } from "kysely";
import type { Database, TokensTable } from "./database-schema.ts";

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

  /** The hot path of authentication: one lookup by the unique `token_hash`. */
  async findByHash(tokenHash: string): Promise<TokenRecord | null> {
    const row = await this.#db
      .selectFrom("tokens")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return row === undefined ? null : toTokenRecord(row);
  }

  async findById(id: string): Promise<TokenRecord | null> {
    const row = await this.#db.selectFrom("tokens").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? null : toTokenRecord(row);
  }

  /** Every token, revoked and expired ones included, newest first. */
  async list(): Promise<TokenRecord[]> {
    const rows = await this.#db
      .selectFrom("tokens")
      .selectAll()
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .execute();
    return rows.map(toTokenRecord);
  }

  /**
   * Records the revocation. A token already revoked keeps its first revocation time. Returns
   * false when no token has this id.
   */
  async markRevoked(id: string, at: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("tokens")
      .set((eb) => ({
        revoked_at: eb.fn.coalesce("revoked_at", eb.val(at)),
        updated_at: eb.case().when("revoked_at", "is", null).then(at).else(eb.ref("updated_at")).end(),
      }))
      .where("id", "=", id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Applies the fields present in the patch. Returns false when no token has this id. */
  async update(id: string, patch: TokenRecordPatch, at: string): Promise<boolean> {
    const changes: Partial<Selectable<TokensTable>> = { updated_at: at };
    if (patch.description !== undefined) changes.description = patch.description;
    if (patch.scopes !== undefined) changes.scopes = JSON.stringify(patch.scopes);
    if (patch.packagePatterns !== undefined) changes.package_patterns = JSON.stringify(patch.packagePatterns);
    if (patch.expiresAt !== undefined) changes.expires_at = patch.expiresAt;
    const result = await this.#db.updateTable("tokens").set(changes).where("id", "=", id).executeTakeFirst();
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
