import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { requirePermission, sessionGrant, type AccessGrant } from "../../access/access-grant.ts";
import { parseAuthorization } from "../../access/parse-authorization.ts";
import { tokenFingerprint } from "../../access/token-format.ts";
import { scopeFor, type Permission } from "../../access/permission.ts";
import type { SessionService } from "../../access/session-service.ts";
import {
  twoFactorEnrolmentGrant,
  twoFactorEnrolmentRequiredError,
} from "../../access/two-factor-enrolment.ts";
import type { TokenService } from "../../access/token-service.ts";
import type { AuditActor, AuthMethod } from "../../audit/audit-event.ts";
import type { AuditTrail } from "../../audit/audit-trail.ts";
import type { RequestAuditing } from "../../audit/request-auditing.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireCsrf, SESSION_COOKIE, sessionRequired } from "../session-cookie.ts";

/**
 * Builds the middleware that demands a token (or a dashboard session) allowing a permission, or,
 * for `signed-in`, a dashboard session (any role), acting on the person's own account.
 */
export type TokenGuard = (
  access: Permission | "signed-in",
  options?: GuardOptions,
) => MiddlewareHandler<AppEnv>;

export interface GuardOptions {
  /**
   * Open to a session that must enrol in two-factor authentication first (the policy requires it
   * and the person has none yet): reading oneself, enrolling, changing one's password. Every other
   * operation refuses such a session (403 TwoFactorEnrolmentRequired).
   */
  readonly duringTwoFactorEnrolment?: boolean;
}

/** Audit actions of authentication failures, by error code. */
const FAILURE_ACTIONS: Readonly<Record<string, string>> = {
  AuthenticationRequired: "credentials_missing",
  MalformedAuthorization: "credentials_malformed",
  InvalidToken: "token_invalid",
  TokenExpired: "token_expired",
  TokenRevoked: "token_revoked",
  InsufficientScope: "scope_denied",
  SessionRequired: "session_invalid",
  CsrfRejected: "csrf_rejected",
  InsufficientRole: "role_denied",
  SessionOnly: "session_only",
  TwoFactorEnrolmentRequired: "two_factor_enrolment_pending",
};

/**
 * Every route but the health checks needs a token, as HTTP Basic (any username, the token as the
 * password: what Composer's http-basic sends) or as a Bearer token, or else (no Authorization
 * header) the dashboard's session cookie, with its CSRF header on anything but a read. The token's
 * scopes or the person's role must allow `permission`. Every refusal is an `authentication` audit
 * event, committed before the response; an accepted token is one too (once per token and client
 * address per window), and the request's audit trail then names the token or the person.
 */
export function tokenGuard(
  tokens: TokenService,
  auditing: RequestAuditing,
  sessions: SessionService,
): TokenGuard {
  return (permission, options = {}) =>
    async (c, next) => {
      const header = c.req.header("authorization");
      const cookie = header === undefined ? getCookie(c, SESSION_COOKIE) : undefined;
      if (cookie !== undefined) {
        await sessionGuard(c, cookie, permission, options, { auditing, sessions });
        await next();
        return;
      }
      const method: AuthMethod = /^\s*bearer\b/i.test(header ?? "")
        ? "bearer"
        : header === undefined
          ? "none"
          : "basic";
      const presented = parseAuthorization(header);
      const actor: AuditActor =
        typeof presented === "string" && presented !== "malformed"
          ? { type: "token", id: tokenFingerprint(presented), auth_method: method }
          : { type: "anonymous", id: "anonymous", auth_method: method };
      const trail = auditing.trail(c.get("origin"), actor);
      let grant: AccessGrant;
      try {
        grant = await authenticate(tokens, presented);
        requireAccess(grant, permission);
      } catch (error) {
        if (error instanceof DomainError) await recordRefusal(trail, error, permission);
        throw error;
      }
      c.set("grant", grant);
      c.set("audit", trail);
      if (auditing.shouldRecordAcceptance(grant.tokenId, trail)) {
        await trail.record({
          event: "authentication",
          action: "token_accepted",
          outcome: "success",
          target: { type: "token", id: grant.tokenId, name: grant.fingerprint },
          details: { scopes: [...grant.scopes], ...(grant.user === null ? {} : { owner: grant.user.id }) },
        });
      }
      await next();
    };
}

function requireAccess(grant: AccessGrant, access: Permission | "signed-in"): void {
  if (access !== "signed-in") {
    requirePermission(grant, access);
    return;
  }
  // A person's own account (password, second factor, their tokens) changes only in a session:
  // a leaked script token must not be able to take the account over.
  if (grant.via !== "session") {
    throw new DomainError(
      "forbidden",
      "SessionOnly",
      "this changes a person's own account: sign in to the dashboard (tokens cannot do it)",
    );
  }
}

async function authenticate(tokens: TokenService, presented: string | null): Promise<AccessGrant> {
  if (presented === null) {
    throw new DomainError(
      "unauthenticated",
      "AuthenticationRequired",
      "authentication required: send a token as HTTP Basic password or Bearer token (auth.json http-basic or bearer)",
    );
  }
  if (presented === "malformed") {
    throw new DomainError(
      "unauthenticated",
      "MalformedAuthorization",
      "the Authorization header is malformed: use Basic (any username, the token as password) or Bearer <token>",
    );
  }
  return tokens.authenticate(presented);
}

/**
 * A request with the session cookie: the session must be live, a change must carry the session's
 * CSRF token (a page of another site can make the browser send the cookie, not read the token),
 * and the person's role must allow the permission.
 */
async function sessionGuard(
  c: Context<AppEnv>,
  cookie: string,
  permission: Permission | "signed-in",
  options: GuardOptions,
  { auditing, sessions }: { auditing: RequestAuditing; sessions: SessionService },
): Promise<void> {
  // No Basic challenge on a 401 here: the browser would answer it with its own dialog.
  c.set("sessionRoute", true);
  const current = await sessions.authenticate(cookie);
  const actor: AuditActor =
    current === null
      ? { type: "anonymous", id: "anonymous", auth_method: "session" }
      : { type: "user", id: current.user.id, auth_method: "session" };
  const trail = auditing.trail(c.get("origin"), actor);
  try {
    if (current === null) throw sessionRequired();
    requireCsrf(c, sessions, current.session);
    const enrolling = current.session.twoFactorEnrolmentRequired;
    if (enrolling && options.duringTwoFactorEnrolment !== true) throw twoFactorEnrolmentRequiredError();
    const grant = enrolling ? twoFactorEnrolmentGrant(current.user) : sessionGrant(current.user);
    requireAccess(grant, permission);
    c.set("grant", grant);
    c.set("session", current.session);
    c.set("audit", trail);
  } catch (error) {
    if (error instanceof DomainError) await recordRefusal(trail, error, permission);
    throw error;
  }
}

async function recordRefusal(
  trail: AuditTrail,
  error: DomainError,
  permission: Permission | "signed-in",
): Promise<void> {
  const action = FAILURE_ACTIONS[error.code] ?? "token_refused";
  const denied = error.kind === "forbidden";
  await trail.record({
    event: "authentication",
    action,
    outcome: denied ? "denied" : "failure",
    severity:
      action === "token_revoked" || action === "token_expired" ? "warning" : denied ? "warning" : "info",
    target: null,
    details: {
      code: error.code,
      reason: error.message,
      ...(action === "scope_denied" && permission !== "signed-in"
        ? { required_scope: scopeFor(permission) }
        : {}),
      ...(action === "role_denied" ? { required_permission: permission } : {}),
    },
  });
}
