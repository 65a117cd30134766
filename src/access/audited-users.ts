import type { AuditTrail } from "../audit/audit-trail.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { CreateUserInput, DeletedUser, PublicUser, UserPatch, UserService } from "./user-service.ts";

/**
 * User changes with their `user` audit events: what the API and the CLI call. Events carry the
 * user's id and role, never the e-mail address or name (those live with the audit subjects,
 * erasable); a refused change is recorded with its error code.
 */
export class AuditedUsers {
  readonly #users: UserService;

  constructor(users: UserService) {
    this.#users = users;
  }

  async create(input: CreateUserInput, trail: AuditTrail): Promise<PublicUser> {
    try {
      const user = await this.#users.create(input);
      await trail.record({
        event: "user",
        action: "created",
        outcome: "success",
        target: { type: "user", id: user.id },
        details: { after: { role: user.role, status: user.status, password_set: user.passwordSet } },
      });
      return user;
    } catch (error) {
      if (error instanceof DomainError) {
        await trail.record({
          event: "user",
          action: "created",
          outcome: "failure",
          target: { type: "user" },
          details: { code: error.code },
        });
      }
      throw error;
    }
  }

  /**
   * A change of role, status or name: `role_changed` (severity warning: a privilege change),
   * `blocked`, `unblocked` or `updated`, with the role and status before and after (never the
   * name: it lives with the audit subjects).
   */
  async update(id: string, patch: UserPatch, trail: AuditTrail): Promise<PublicUser> {
    let before: PublicUser | undefined;
    try {
      before = await this.#users.get(id);
      const after = await this.#users.update(id, patch);
      const action =
        after.status !== before.status
          ? after.status === "blocked"
            ? "blocked"
            : "unblocked"
          : after.role !== before.role
            ? "role_changed"
            : "updated";
      await trail.record({
        event: "user",
        action,
        outcome: "success",
        severity: action === "updated" ? "info" : "warning",
        target: { type: "user", id },
        details: { before: settings(before), after: settings(after) },
      });
      return after;
    } catch (error) {
      if (error instanceof DomainError) {
        await trail.record({
          event: "user",
          action: "updated",
          outcome: "failure",
          target: before === undefined ? { type: "user" } : { type: "user", id },
          details: { code: error.code },
        });
      }
      throw error;
    }
  }

  /**
   * Deletes a user (see `UserService.delete`): `deleted`, severity warning, with the role and
   * status before, how many of their tokens were revoked and sessions ended. A refused deletion
   * (`LastAdmin`, `UserNotFound`) is recorded with outcome failure and its code.
   */
  async delete(id: string, trail: AuditTrail): Promise<DeletedUser> {
    let known = false;
    try {
      await this.#users.get(id);
      known = true;
      const deleted = await this.#users.delete(id);
      await trail.record({
        event: "user",
        action: "deleted",
        outcome: "success",
        severity: "warning",
        target: { type: "user", id },
        details: {
          before: settings(deleted.user),
          revoked_tokens: deleted.revokedTokens,
          ended_sessions: deleted.endedSessions,
        },
      });
      return deleted;
    } catch (error) {
      if (error instanceof DomainError) {
        await trail.record({
          event: "user",
          action: "deleted",
          outcome: "failure",
          severity: "warning",
          target: known ? { type: "user", id } : { type: "user" },
          details: { code: error.code },
        });
      }
      throw error;
    }
  }
}

function settings(user: PublicUser): Record<string, unknown> {
  return { role: user.role, status: user.status };
}
