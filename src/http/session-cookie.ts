/** The session cookie. HttpOnly (scripts never see it), SameSite=Strict, Secure over https. */
export const SESSION_COOKIE = "pb_session";
/** The double-submit header every state-changing request of a session must carry. */
export const CSRF_HEADER = "x-csrf-token";

/** Methods that change nothing: a session's GETs need no CSRF token. */
export function isSafeMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}
