import type { MiddlewareHandler } from "hono";
import { requireScope, type AccessGrant } from "../../access/access-grant.ts";
import { parseAuthorization } from "../../access/parse-authorization.ts";
import { tokenFingerprint } from "../../access/token-format.ts";
import type { TokenScope } from "../../access/token-scope.ts";
import type { TokenService } from "../../access/token-service.ts";
import type { AuditActor, AuthMethod } from "../../audit/audit-event.ts";
import type { AuditTrail } from "../../audit/audit-trail.ts";
import type { RequestAuditing } from "../../audit/request-auditing.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { AppEnv } from "../app-env.ts";

/** Builds the middleware that demands a token with a scope. */
export type TokenGuard = (scope: TokenScope) => MiddlewareHandler<AppEnv>;

/** Audit actions of authentication failures, by error code. */
const FAILURE_ACTIONS: Readonly<Record<string, string>> = {
  AuthenticationRequired: "credentials_missing",
  MalformedAuthorization: "credentials_malformed",
  InvalidToken: "token_invalid",
  TokenExpired: "token_expired",
  TokenRevoked: "token_revoked",
  InsufficientScope: "scope_denied",
};

/**
 * Every route but the health checks needs a token, as HTTP Basic (any username, the token as the
 * password: what Composer's http-basic sends) or as a Bearer token. The token must hold `scope`.
 * Every refusal is an `authentication` audit event, committed before the response; an accepted
 * token is one too (once per token and client address per window), and the request's audit
 * trail then names the token.
 */
export function tokenGuard(tokens: TokenService, auditing: RequestAuditing): TokenGuard {
  return (scope) => async (c, next) => {
    const header = c.req.header("authorization");
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
      requireScope(grant, scope);
    } catch (error) {
      if (error instanceof DomainError) await recordRefusal(trail, error, scope);
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

async function recordRefusal(trail: AuditTrail, error: DomainError, scope: TokenScope): Promise<void> {
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
      ...(action === "scope_denied" ? { required_scope: scope } : {}),
    },
  });
}
