import type { AuditSubjects } from "../audit/privacy/audit-subjects.ts";
import type { Clock } from "../clock/clock.ts";
import { conflict, invalidInput, notFound, type DomainError } from "../errors/domain-error.ts";
import { newId } from "../ids/new-id.ts";
import type { UserRecord, UserRecords } from "../storage/database/user-records.ts";
import { normaliseEmail } from "./email-address.ts";
import { hashPassword } from "./password-hash.ts";
import { assertAcceptablePassword } from "./password-policy.ts";
import { parseUserRole, type UserRole } from "./user-role.ts";

/** A user as the API and the CLI show it: never the password hash or the TOTP secret. */
export interface PublicUser {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: UserRole;
  /** Never `deleted`: a deleted user is found by no lookup and has no public form. */
  readonly status: "active" | "blocked";
  /** Whether a password is set (an invited user has none until they accept). */
  readonly passwordSet: boolean;
  readonly twoFactor: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface UserPatch {
  readonly role?: unknown;
  readonly status?: unknown;
  readonly name?: unknown;
}

export interface CreateUserInput {
  readonly email: unknown;
  readonly role: unknown;
  readonly name?: unknown;
  /** Optional: without it the user signs in after an invitation or a reset. */
  readonly password?: unknown;
}

/** What `UserService.delete` did. */
export interface DeletedUser {
  /** The user as they were just before the deletion. */
  readonly user: PublicUser;
  readonly deletedAt: string;
  /** Their tokens revoked by the deletion (those revoked earlier are not counted). */
  readonly revokedTokens: number;
  /** Their sessions ended by the deletion. */
  readonly endedSessions: number;
}

const MAX_NAME = 200;

/**
 * People and their roles. The e-mail address and name are also registered with the audit
 * subjects (beside the log, erasable), since events only ever carry the user's id.
 */
export class UserService {
  readonly #records: UserRecords;
  readonly #clock: Clock;
  readonly #subjects: Pick<AuditSubjects, "register">;

  constructor(options: { records: UserRecords; clock: Clock; subjects: Pick<AuditSubjects, "register"> }) {
    this.#records = options.records;
    this.#clock = options.clock;
    this.#subjects = options.subjects;
  }

  async create(input: CreateUserInput): Promise<PublicUser> {
    const email = normaliseEmail(input.email);
    const role = parseUserRole(input.role);
    const name = parseName(input.name);
    let passwordHash: string | null = null;
    if (input.password !== undefined) {
      if (typeof input.password !== "string") {
        throw invalidInput("InvalidPassword", "the password must be a string", { field: "password" });
      }
      assertAcceptablePassword(input.password, { email, ...(name === null ? {} : { name }) });
      passwordHash = await hashPassword(input.password);
    }
    const created = await this.#records.insert({
      id: `usr_${newId()}`,
      email,
      name,
      role,
      passwordHash,
      createdAt: this.#clock.now().toISOString(),
    });
    if (created === null) throw conflict("UserExists", "a user with this e-mail address already exists");
    await this.#subjects.register(created.id, { email, name });
    return toPublicUser(created);
  }

  async get(id: string): Promise<PublicUser> {
    const record = await this.#records.findById(id);
    if (record === null) throw userNotFound();
    return toPublicUser(record);
  }

  /** A user by id (`usr_…`) or by e-mail address (any case), as typed at the console. */
  async getByIdOrEmail(reference: string): Promise<PublicUser> {
    if (!reference.includes("@")) return this.get(reference);
    const record = await this.#records.findByEmail(normaliseEmail(reference));
    if (record === null) throw notFound("UserNotFound", "no user has this e-mail address");
    return toPublicUser(record);
  }

  /**
   * Changes a user's role, status or name. Blocking ends the user's sessions, and their personal
   * tokens are refused while they stay blocked (both are checked on every request); a role change
   * narrows or widens their personal tokens from the next request on. The last active admin can
   * be neither demoted nor blocked (409 LastAdmin).
   */
  async update(id: string, patch: UserPatch): Promise<PublicUser> {
    const changes = {
      ...(patch.role === undefined ? {} : { role: parseUserRole(patch.role) }),
      ...(patch.status === undefined ? {} : { status: parseStatus(patch.status) }),
      ...(patch.name === undefined ? {} : { name: parseName(patch.name) }),
    };
    const updated = await this.#records.updateKeepingAnAdmin(id, changes, this.#clock.now().toISOString());
    if (updated === null) throw userNotFound();
    if (updated === "last-admin") {
      throw conflict("LastAdmin", "this is the last active admin: make someone else admin first");
    }
    if (changes.name !== undefined)
      await this.#subjects.register(id, { email: updated.email, name: updated.name });
    return toPublicUser(updated);
  }

  /**
   * Deletes a user: a soft delete. The id stays (audit events and token owners refer to it), the
   * e-mail address is freed for a new account, and the name, password and second factor are
   * cleared; the user's sessions end and their tokens are revoked, in one transaction. The e-mail
   * address and name registered with the audit subjects stay until they are erased there. Deleting
   * the last active admin is refused (409 LastAdmin); an unknown or already deleted user is
   * `UserNotFound`.
   */
  async delete(id: string): Promise<DeletedUser> {
    const deletedAt = this.#clock.now().toISOString();
    const deleted = await this.#records.deleteKeepingAnAdmin(id, deletedAt);
    if (deleted === null) throw userNotFound();
    if (deleted === "last-admin") {
      throw conflict("LastAdmin", "this is the last active admin: make someone else admin first");
    }
    return {
      user: toPublicUser(deleted.before),
      deletedAt,
      revokedTokens: deleted.revokedTokens,
      endedSessions: deleted.endedSessions,
    };
  }

  /** Every user but the deleted ones. */
  async list(): Promise<PublicUser[]> {
    return (await this.#records.list()).map(toPublicUser);
  }

  /** Whether an active admin exists (first run: none does, and `serve` offers a setup link). */
  async hasActiveAdmin(): Promise<boolean> {
    return (await this.#records.countActiveAdmins()) > 0;
  }
}

export function toPublicUser(record: UserRecord): PublicUser {
  // Every lookup of UserRecords hides deleted users: one here is a bug, not a user to show.
  if (record.status === "deleted") throw new Error("a deleted user has no public form");
  return {
    id: record.id,
    email: record.email,
    name: record.name,
    role: parseUserRole(record.role),
    status: record.status,
    passwordSet: record.passwordHash !== null,
    twoFactor: record.totpEnabledAt !== null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function userNotFound(): DomainError {
  return notFound("UserNotFound", "no user has this id");
}

function parseStatus(input: unknown): "active" | "blocked" {
  if (input === "active" || input === "blocked") return input;
  throw invalidInput("InvalidStatus", "status must be active or blocked", { field: "status" });
}

/** A display name: optional, trimmed, at most 200 UTF-16 code units, no control characters. */
export function parseName(input: unknown): string | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== "string")
    throw invalidInput("InvalidName", "the name must be a string", { field: "name" });
  const name = input.normalize("NFC").trim();
  if (name === "") return null;
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (name.length > MAX_NAME || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) {
    throw invalidInput(
      "InvalidName",
      `the name must be at most ${MAX_NAME} characters, without control characters`,
      {
        field: "name",
      },
    );
  }
  return name;
}
