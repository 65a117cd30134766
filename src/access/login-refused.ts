import { DomainError } from "../errors/domain-error.ts";

/** Why a login was refused. For the audit log only: clients see the code and message alone. */
export type LoginRefusalReason =
  | "unknown-account"
  | "wrong-password"
  | "blocked"
  | "no-password"
  | "wrong-code"
  | "code-required"
  | "locked";

/**
 * A refused login (kind "unauthenticated"; "too-many-requests" for `LoginLocked`). The real `reason` and the account concerned are
 * fields of their own, not `extensions`, so that nothing that serialises extensions into a
 * response can tell an attacker which accounts exist.
 */
export class LoginRefused extends DomainError {
  readonly reason: LoginRefusalReason;
  /** The account that has the address, when one does. */
  readonly userId: string | null;

  constructor(
    code: string,
    message: string,
    reason: LoginRefusalReason,
    userId: string | null,
    extensions: Record<string, unknown> = {},
  ) {
    // A lockout says "not now", not "not you": 429, with when to come back.
    super(code === "LoginLocked" ? "too-many-requests" : "unauthenticated", code, message, extensions);
    this.reason = reason;
    this.userId = userId;
  }
}
