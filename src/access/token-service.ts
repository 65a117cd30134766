import { monotonicFactory } from "ulid";
import { pooledRandom } from "../ids/new-id.ts";
import type { Clock } from "../clock/clock.ts";
import { conflict, DomainError, invalidInput, notFound } from "../errors/domain-error.ts";
import type {
  TokenOwnerRecord,
  TokenRecord,
  TokenRecordPatch,
  TokenRecords,
} from "../storage/database/token-records.ts";
import { createAccessGrant, packagePatternsKey, type AccessGrant, type GrantUser } from "./access-grant.ts";
import { compilePackagePatterns, parsePackagePatterns } from "./package-pattern.ts";
import { ROLE_PERMISSIONS, tokenPermissions } from "./permission.ts";
import { generateToken, hashToken, hasValidTokenShape, tokenFingerprint } from "./token-format.ts";
import { isTokenScope, parseTokenScopes, tokenScopes, type TokenScope } from "./token-scope.ts";
import { isUserRole, type UserRole } from "./user-role.ts";

/** A token as the management API shows it: never the token itself, never its hash. */
export interface PublicToken {
  readonly id: string;
  readonly description: string;
  readonly fingerprint: string;
  readonly scopes: readonly TokenScope[];
  /** Empty means every package. */
  readonly packagePatterns: readonly string[];
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
  readonly createdAt: string;
  /** The user who owns a personal token; null for a token without an owner (a machine's). */
  readonly owner: { readonly id: string } | null;
}

export interface CreateTokenInput {
  readonly description: string;
  /** Defaults to `["read"]`. */
  readonly scopes?: readonly TokenScope[];
  /** Defaults to every package. */
  readonly packagePatterns?: readonly string[];
  /** Null or absent: the token never expires. */
  readonly expiresAt?: Date | null;
  /**
   * The user id of the owner of a personal token: it works only while the owner is active, and
   * never allows more than the owner's role. Absent or null: a token without an owner.
   */
  readonly ownerId?: string | null;
}

/**
 * Limits a call to one owner's tokens ("my tokens"): another token's id is then `TokenNotFound`,
 * exactly like an unknown id, so ids of other people's tokens do not leak.
 */
export interface OwnedBy {
  readonly ownerId?: string;
}

export interface TokenPatch {
  readonly description?: string;
  readonly scopes?: readonly TokenScope[];
  readonly packagePatterns?: readonly string[];
  /** Null removes the expiry. */
  readonly expiresAt?: Date | null;
}

export interface TokenServiceOptions {
  readonly records: TokenRecords;
  readonly clock: Clock;
  /** Told about a failed background `last_used_at` write (which never fails a request). */
  readonly onBackgroundError?: (error: unknown) => void;
}

const MAX_DESCRIPTION_LENGTH = 200;
/** `last_used_at` is written at most this often per token. */
export const LAST_USED_RESOLUTION_MS = 60_000;
/** Compiled package-pattern matchers kept, keyed by the patterns (not by token: rows are never cached). */
const MATCHER_CACHE_SIZE = 500;

const invalidToken = (): DomainError =>
  new DomainError("unauthenticated", "InvalidToken", "The token is not valid");

/**
 * API tokens: creation, management, and the authentication of every request.
 *
 * Authentication reads the token row on every request (no cache), so a revocation, from this
 * process or another sharing the database, takes effect on the very next request.
 *
 * A personal token (one with an owner) is read together with its owner's role and status, in the
 * same query: it is refused while the owner is blocked or deleted, and it allows the permissions
 * of its scopes that the owner's role allows too, never more; a role change applies on the next
 * request. A personal token whose scopes share no permission with the owner's role cannot be
 * created (`ScopeOutsideRole`); one narrowed to nothing by a later role change still
 * authenticates, and every route then refuses it with `InsufficientRole`.
 */
export class TokenService {
  readonly #records: TokenRecords;
  readonly #clock: Clock;
  readonly #onBackgroundError: (error: unknown) => void;
  readonly #nextId = monotonicFactory(pooledRandom);
  /** Token id → when this process last wrote (or saw) its `last_used_at`, in epoch ms. */
  readonly #lastTouched = new Map<string, number>();
  readonly #pendingWrites = new Set<Promise<void>>();
  readonly #matchers = new Map<string, (name: string) => boolean>();

  constructor(options: TokenServiceOptions) {
    this.#records = options.records;
    this.#clock = options.clock;
    this.#onBackgroundError = options.onBackgroundError ?? (() => undefined);
  }

  /**
   * Creates a token. The plaintext token is returned here and never again. For a personal token
   * (`ownerId`): `UserNotFound` when no user has this id (or only a deleted one), `UserBlocked`
   * while the user is blocked, `ScopeOutsideRole` when the scopes allow nothing the role allows.
   */
  async create(input: CreateTokenInput): Promise<{ token: string; record: PublicToken }> {
    const now = this.#clock.now();
    const description = parseDescription(input.description);
    const scopes = parseTokenScopes(input.scopes ?? ["read"]);
    const packagePatterns = parsePackagePatterns(input.packagePatterns ?? []);
    const expiresAt = parseExpiry(input.expiresAt ?? null, now);
    const ownerId = input.ownerId ?? null;
    if (ownerId !== null) assertScopesWithinRole(scopes, await this.#requireLiveOwner(ownerId));
    const token = generateToken();
    const record = await this.#records.insert({
      id: this.#nextId(now.getTime()),
      description,
      tokenHash: hashToken(token),
      fingerprint: tokenFingerprint(token),
      scopes,
      packagePatterns,
      expiresAt,
      createdAt: now.toISOString(),
      userId: ownerId,
    });
    return { token, record: toPublicToken(record) };
  }

  /** Every token (with `ownerId`, every token of that user), revoked and expired ones included, newest first. */
  async list(owned: OwnedBy = {}): Promise<PublicToken[]> {
    const records = await this.#records.list(ownerFilter(owned));
    return records.map(toPublicToken);
  }

  async get(id: string, owned: OwnedBy = {}): Promise<PublicToken> {
    return toPublicToken(await this.#find(id, owned));
  }

  /**
   * Changes the fields present in the patch, validated as in `create` (new scopes of a personal
   * token must share a permission with its owner's role).
   */
  async update(id: string, patch: TokenPatch, owned: OwnedBy = {}): Promise<PublicToken> {
    const now = this.#clock.now();
    const changes: { -readonly [K in keyof TokenRecordPatch]: TokenRecordPatch[K] } = {};
    if (patch.description !== undefined) changes.description = parseDescription(patch.description);
    if (patch.scopes !== undefined) {
      const scopes = parseTokenScopes(patch.scopes);
      await this.#assertScopesFitOwner(id, scopes, owned);
      changes.scopes = scopes;
    }
    if (patch.packagePatterns !== undefined) {
      changes.packagePatterns = parsePackagePatterns(patch.packagePatterns);
    }
    if (patch.expiresAt !== undefined) changes.expiresAt = parseExpiry(patch.expiresAt, now);
    if (Object.keys(changes).length > 0) {
      const found = await this.#records.update(id, changes, now.toISOString(), ownerFilter(owned));
      if (!found) throw tokenNotFound(id);
    }
    return this.get(id, owned);
  }

  /** Revokes the token for good. Revoking again is fine and keeps the first revocation time. */
  async revoke(id: string, owned: OwnedBy = {}): Promise<PublicToken> {
    const found = await this.#records.markRevoked(id, this.#clock.now().toISOString(), ownerFilter(owned));
    if (!found) throw tokenNotFound(id);
    return this.get(id, owned);
  }

  /**
   * The grant of the presented token, or a DomainError: `unauthenticated`/`InvalidToken` for
   * garbage and unknown tokens; `forbidden` with `TokenRevoked`, `TokenExpired`, or for a personal
   * token `TokenOwnerDeleted` or `TokenOwnerBlocked`. One database query (the token and its
   * owner), called on every request.
   */
  async authenticate(presented: string): Promise<AccessGrant> {
    if (!hasValidTokenShape(presented)) throw invalidToken();
    const record = await this.#records.findByHash(hashToken(presented));
    if (record === null) throw invalidToken();
    if (record.revokedAt !== null) {
      throw new DomainError(
        "forbidden",
        "TokenRevoked",
        `token was revoked on ${record.revokedAt.slice(0, 10)}`,
      );
    }
    const now = this.#clock.now();
    if (record.expiresAt !== null && now.getTime() >= Date.parse(record.expiresAt)) {
      throw new DomainError(
        "forbidden",
        "TokenExpired",
        `token expired on ${record.expiresAt.slice(0, 10)}, create a new one`,
      );
    }
    const owner = activeOwner(record.owner);
    this.#noteUse(record, now);
    return createAccessGrant({
      tokenId: record.id,
      fingerprint: record.fingerprint,
      scopes: record.scopes.filter(isTokenScope),
      packagePatterns: record.packagePatterns,
      matcher: this.#matcher(record.packagePatterns),
      changedAt: record.updatedAt,
      owner,
    });
  }

  /** Resolves once the background `last_used_at` writes started so far have finished (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.#pendingWrites.size > 0) await Promise.all(this.#pendingWrites);
  }

  async #find(id: string, owned: OwnedBy): Promise<TokenRecord> {
    const record = await this.#records.findById(id);
    if (record === null) throw tokenNotFound(id);
    if (owned.ownerId !== undefined && record.userId !== owned.ownerId) throw tokenNotFound(id);
    return record;
  }

  /** New scopes of a personal token must allow something its owner's role allows. */
  async #assertScopesFitOwner(id: string, scopes: readonly TokenScope[], owned: OwnedBy): Promise<void> {
    const current = await this.#find(id, owned);
    if (current.userId === null) return;
    const owner = await this.#records.findOwner(current.userId);
    // A deleted owner's tokens are revoked and refused, whatever their scopes.
    if (owner !== null && owner.status !== "deleted") assertScopesWithinRole(scopes, ownerRole(owner));
  }

  /** The role of a user who may receive a personal token now. */
  async #requireLiveOwner(userId: string): Promise<UserRole> {
    const owner = await this.#records.findOwner(userId);
    if (owner === null || owner.status === "deleted") {
      throw notFound("UserNotFound", "no user has this id");
    }
    if (owner.status === "blocked") {
      throw conflict("UserBlocked", "this user is blocked: unblock them before creating a token for them");
    }
    return ownerRole(owner);
  }

  /**
   * Writes `last_used_at` in the background, at most once a minute per token. The row just read
   * counts too, so several processes sharing the database do not each write every minute.
   */
  #noteUse(record: TokenRecord, now: Date): void {
    const nowMs = now.getTime();
    const stored = record.lastUsedAt === null ? undefined : Date.parse(record.lastUsedAt);
    const touched = this.#lastTouched.get(record.id);
    const recent = (at: number | undefined) =>
      at !== undefined && nowMs >= at && nowMs - at < LAST_USED_RESOLUTION_MS;
    if (recent(touched) || recent(stored)) return;
    this.#lastTouched.set(record.id, nowMs);
    const write = this.#records.touchLastUsed(record.id, now.toISOString()).then(
      () => undefined,
      (error: unknown) => {
        // Try again on the next request rather than in a minute.
        if (this.#lastTouched.get(record.id) === nowMs) this.#lastTouched.delete(record.id);
        try {
          this.#onBackgroundError(error);
        } catch {
          // A failing reporter must not become an unhandled rejection either.
        }
      },
    );
    this.#pendingWrites.add(write);
    void write.finally(() => this.#pendingWrites.delete(write));
  }

  #matcher(patterns: readonly string[]): (name: string) => boolean {
    const key = packagePatternsKey(patterns);
    let matcher = this.#matchers.get(key);
    if (matcher === undefined) {
      matcher = compilePackagePatterns(patterns);
      if (this.#matchers.size >= MATCHER_CACHE_SIZE) {
        const oldest = this.#matchers.keys().next();
        if (oldest.done !== true) this.#matchers.delete(oldest.value);
      }
      this.#matchers.set(key, matcher);
    }
    return matcher;
  }
}

/**
 * The owner a personal token acts for, or null for a token without one. Refuses the token of a
 * deleted (or vanished) or blocked owner.
 */
function activeOwner(owner: TokenOwnerRecord | null): GrantUser | null {
  if (owner === null) return null;
  if (owner.status === "deleted") {
    throw new DomainError(
      "forbidden",
      "TokenOwnerDeleted",
      "the account that owns this token was deleted; the token no longer works",
    );
  }
  if (owner.status === "blocked") {
    throw new DomainError(
      "forbidden",
      "TokenOwnerBlocked",
      "the account that owns this token is blocked; the token works again if it is unblocked",
    );
  }
  return { id: owner.id, role: ownerRole(owner) };
}

/** A stored role the access layer does not know is corruption: refuse rather than guess. */
function ownerRole(owner: TokenOwnerRecord): UserRole {
  if (isUserRole(owner.role)) return owner.role;
  throw new Error("the users table holds a role that is not one of the known roles");
}

/**
 * A personal token must allow something its owner's role allows: refused with `ScopeOutsideRole`
 * (naming the narrowest scope that would do) otherwise.
 */
function assertScopesWithinRole(scopes: readonly TokenScope[], role: UserRole): void {
  if (tokenPermissions(scopes, role).size > 0) return;
  const fitting = tokenScopes.find((scope) => tokenPermissions([scope], role).size > 0) ?? "admin";
  const asked =
    scopes.length === 1 ? `the scope ${scopes.join("")} allows` : `the scopes ${scopes.join(", ")} allow`;
  throw invalidInput(
    "ScopeOutsideRole",
    `${asked} nothing the ${role} role allows (${ROLE_PERMISSIONS[role].join(", ")}); ` +
      `a personal token never allows more than its owner's role: use the ${fitting} scope`,
    { field: "scopes" },
  );
}

function ownerFilter(owned: OwnedBy): { userId?: string } {
  return owned.ownerId === undefined ? {} : { userId: owned.ownerId };
}

function toPublicToken(record: TokenRecord): PublicToken {
  return {
    id: record.id,
    description: record.description,
    fingerprint: record.fingerprint,
    scopes: record.scopes.filter(isTokenScope),
    packagePatterns: record.packagePatterns,
    expiresAt: record.expiresAt,
    revokedAt: record.revokedAt,
    lastUsedAt: record.lastUsedAt,
    createdAt: record.createdAt,
    owner: record.userId === null ? null : { id: record.userId },
  };
}

function tokenNotFound(id: string): DomainError {
  const shown = id.length > 40 ? `${id.slice(0, 40)}…` : id;
  return notFound("TokenNotFound", `there is no token with id ${JSON.stringify(shown)}`);
}

function parseDescription(input: string): string {
  const description = typeof input === "string" ? input.trim() : "";
  const length = Array.from(description).length;
  if (length === 0 || length > MAX_DESCRIPTION_LENGTH) {
    throw invalidInput(
      "InvalidDescription",
      `a token description must be 1 to ${MAX_DESCRIPTION_LENGTH} characters long`,
    );
  }
  if (/\p{Cc}/u.test(description)) {
    throw invalidInput("InvalidDescription", "a token description may not contain control characters");
  }
  return description;
}

function parseExpiry(input: Date | null, now: Date): string | null {
  if (input === null) return null;
  if (!(input instanceof Date) || Number.isNaN(input.getTime())) {
    throw invalidInput("InvalidExpiry", "the expiry must be a valid date");
  }
  if (input.getTime() <= now.getTime()) {
    throw invalidInput("InvalidExpiry", "the expiry must be in the future");
  }
  return input.toISOString();
}
