import type { Context } from "hono";
import type { AuthenticatedSession, SessionService } from "../access/session-service.ts";
import { DomainError } from "../errors/domain-error.ts";

/** The session cookie. HttpOnly (scripts never see it), SameSite=Strict, Secure over https. */
export const SESSION_COOKIE = "pb_session";
/** The double-submit header every state-changing request of a session must carry. */
export const CSRF_HEADER = "x-csrf-token";

/** Methods that change nothing: a session's GETs need no CSRF token. */
export function isSafeMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

/** A request that needs a session has none (no cookie, an ended session, a blocked user). */
export function sessionRequired(): DomainError {
  return new DomainError(
    "unauthenticated",
    "SessionRequired",
    "not signed in (or the session ended): sign in again",
  );
}

/**
 * Throws `CsrfRejected` unless the request changes nothing or carries the session's CSRF token:
 * a page of another site can make the browser send the cookie, not read the token.
 */
export function requireCsrf(c: Context, sessions: SessionService, session: AuthenticatedSession): void {
  if (isSafeMethod(c.req.method) || sessions.verifyCsrf(session, c.req.header(CSRF_HEADER))) return;
  throw new DomainError("forbidden", "CsrfRejected", `a session's changes need its ${CSRF_HEADER} header`);
}
