import type { AuditEventInput } from "../audit/audit-event.ts";
import { DomainError } from "../errors/domain-error.ts";
import { sessionGrant, type AccessGrant } from "./access-grant.ts";
import type { Permission } from "./permission.ts";

/**
 * The session of someone who must enrol in 2FA first (`security.requireTwoFactor` is on and they
 * have no TOTP yet): `LoginResult.twoFactorEnrolmentRequired` and
 * `AuthenticatedSession.twoFactorEnrolmentRequired` are true. Such a session may read its own
 * user, enrol TOTP, change its password and sign out; everything else is refused until
 * enrolment completes (then the same session has the role's permissions on its next request).
 */
export interface TwoFactorEnrolmentGrant extends AccessGrant {
  readonly twoFactorEnrolmentRequired: true;
}

/**
 * The grant of an enrolment-only session: a session's grant for the person, with no permission
 * and no package at all.
 */
export function twoFactorEnrolmentGrant(user: Parameters<typeof sessionGrant>[0]): TwoFactorEnrolmentGrant {
  return Object.freeze({
    ...sessionGrant(user),
    canSeePackage: () => false,
    permissions: new Set<Permission>(),
    twoFactorEnrolmentRequired: true as const,
  });
}

/** What such a session is told on any other route (403). */
export function twoFactorEnrolmentRequiredError(): DomainError {
  return new DomainError(
    "forbidden",
    "TwoFactorEnrolmentRequired",
    "two-factor authentication is required: set up an authenticator app before anything else",
  );
}

/** The `authentication` event of a sign-in that opened an enrolment-only session (warning). */
export function twoFactorEnrolmentRequiredEvent(userId: string): AuditEventInput {
  return {
    event: "authentication",
    action: "two_factor_enrolment_required",
    outcome: "success",
    severity: "warning",
    target: { type: "user", id: userId },
    details: { reason: "policy" },
  };
}
