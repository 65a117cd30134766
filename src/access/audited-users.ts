import type { AuditTrail } from "../audit/audit-trail.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { CreateUserInput, PublicUser, UserService } from "./user-service.ts";

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
}
