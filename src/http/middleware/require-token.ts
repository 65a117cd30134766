import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { requirePermission, sessionGrant, type AccessGrant } from "../../access/access-grant.ts";
import { parseAuthorization } from "../../access/parse-authorization.ts";
import { tokenFingerprint } from "../../access/token-format.ts";
import { scopeFor, type Permission } from "../../access/permission.ts";
import type { SessionService } from "../../access/session-service.ts";
import type { TokenService } from "../../access/token-service.ts";
import type { AuditActor, AuthMethod } from "../../audit/audit-event.ts";
import type { AuditTrail } from "../../audit/audit-trail.ts";
import type { RequestAuditing } from "../../audit/request-auditing.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireCsrf, SESSION_COOKIE, sessionRequired } from "../session-cookie.ts";

/** Builds the middleware that demands a token (or a dashboard session) allowing a permission. */
export type TokenGuard = (permission: Permission) => MiddlewareHandler<AppEnv>;

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
  return (permission) => async (c, next) => {
    const header = c.req.header("authorization");
    const cookie = header === undefined ? getCookie(c, SESSION_COOKIE) : undefined;
    if (cookie !== undefined) {
      await sessionGuard(c, cookie, permission, auditing, sessions);
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
      requirePermission(grant, permission);
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
        details: { scopes: [...grant.scopes] },
      });
    }
    await next();
  };
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
  permission: Permission,
  auditing: RequestAuditing,
  sessions: SessionService,
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
    const grant = sessionGrant(current.user);
    requirePermission(grant, permission);
    c.set("grant", grant);
    c.set("audit", trail);
  } catch (error) {
    if (error instanceof DomainError) await recordRefusal(trail, error, permission);
    throw error;
  }
}

async function recordRefusal(trail: AuditTrail, error: DomainError, permission: Permission): Promise<void> {
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
      ...(action === "scope_denied" ? { required_scope: scopeFor(permission) } : {}),
      ...(action === "role_denied" ? { required_permission: permission } : {}),
    },
  });
}
