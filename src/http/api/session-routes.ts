import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { LoginRefused } from "../../access/login-refused.ts";
import { csrfTokenFor, type SessionService } from "../../access/session-service.ts";
import { twoFactorEnrolmentRequiredEvent } from "../../access/two-factor-enrolment.ts";
import type { AuditActor } from "../../audit/audit-event.ts";
import type { RequestAuditing } from "../../audit/request-auditing.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { AppEnv } from "../app-env.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import { requireCsrf, SESSION_COOKIE, sessionRequired } from "../session-cookie.ts";
import { loginSchema, logoutQuerySchema, sessionSchema } from "./session-schemas.ts";

const anonymous: AuditActor = { type: "anonymous", id: "anonymous", auth_method: "session" };

/**
 * /api/session: signing in and out of the dashboard. A login sets the session cookie and returns
 * the CSRF token the browser sends back in `X-CSRF-Token`; every attempt, refused or not, is an
 * `authentication` event (the refusal's real reason is in the event, never in the response).
 */
export function sessionRoutes(deps: {
  sessions: SessionService;
  auditing: RequestAuditing;
  /** Mark the cookie Secure (the server's public URL is https). */
  secureCookies: boolean;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/session",
    tag: "Session",
    tagDescription: "Signing in and out of the dashboard (a cookie plus a CSRF token).",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });
  api.use(async (c, next) => {
    c.set("sessionRoute", true);
    await next();
  });

  api.add(
    {
      method: "post",
      path: "/",
      operationId: "signIn",
      summary: "Sign in",
      description:
        "Sets the HttpOnly `pb_session` cookie. A refusal never says whether the account exists; 10 failures in 10 minutes lock the account and the address out (429).",
      access: "public",
      body: loginSchema,
      onInvalidInput: async (c, error) => {
        await deps.auditing.trail(c.get("origin"), anonymous).record({
          event: "authentication",
          action: "login_failed",
          outcome: "failure",
          target: { type: "user" },
          details: {
            code: error instanceof DomainError ? error.code : "InvalidRequest",
            reason: "malformed",
          },
        });
      },
      responses: {
        200: {
          description: "Signed in.",
          schema: sessionSchema,
          headers: { "set-cookie": "The session cookie (HttpOnly, SameSite=Strict, Secure over https)." },
        },
        401: problemResponse("Wrong e-mail address, password or second factor."),
        429: problemResponse("Locked out for a while (LoginLocked); Retry-After says how long."),
      },
    },
    async (c, { body: input }) => {
      const origin = c.get("origin");
      const refusedTrail = deps.auditing.trail(origin, anonymous);
      try {
        const result = await deps.sessions.login({
          ...input,
          ipAddress: deps.auditing.clientAddress(origin),
          userAgent: origin.userAgent ?? null,
        });
        const trail = deps.auditing.trail(origin, {
          type: "user",
          id: result.user.id,
          auth_method: "session",
        });
        await trail.record({
          event: "authentication",
          action: "login_succeeded",
          outcome: "success",
          target: { type: "user", id: result.user.id },
          details: { second_factor: result.secondFactor },
        });
        if (result.twoFactorEnrolmentRequired) {
          await trail.record(twoFactorEnrolmentRequiredEvent(result.user.id));
        }
        setCookie(c, SESSION_COOKIE, result.sessionToken, {
          httpOnly: true,
          secure: deps.secureCookies,
          sameSite: "Strict",
          path: "/",
          expires: new Date(result.expiresAt),
        });
        return c.json({
          user: result.user,
          csrfToken: result.csrfToken,
          expiresAt: result.expiresAt,
          twoFactorEnrolmentRequired: result.twoFactorEnrolmentRequired,
        });
      } catch (error) {
        if (error instanceof LoginRefused) {
          const locked = error.code === "LoginLocked";
          await refusedTrail.record({
            event: "authentication",
            action: locked ? "login_locked" : "login_failed",
            outcome: locked ? "denied" : "failure",
            severity: locked ? "warning" : "info",
            target: error.userId === null ? { type: "user" } : { type: "user", id: error.userId },
            details: { code: error.code, reason: error.reason },
          });
        }
        throw error;
      }
    },
  );

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "getSession",
      summary: "The signed-in person",
      access: "public",
      responses: {
        200: { description: "The session's user, CSRF token and end.", schema: sessionSchema },
        401: problemResponse("Not signed in (SessionRequired)."),
      },
    },
    async (c) => {
      const cookie = getCookie(c, SESSION_COOKIE);
      const current = await currentSession(c, deps.sessions);
      return c.json({
        user: current.user,
        // Derived from the cookie: a reloaded page gets its session's CSRF token back.
        csrfToken: csrfTokenFor(cookie ?? ""),
        expiresAt: current.session.expiresAt,
        twoFactorEnrolmentRequired: current.session.twoFactorEnrolmentRequired,
      });
    },
  );

  api.add(
    {
      method: "delete",
      path: "/",
      operationId: "signOut",
      summary: "Sign out",
      description: "Needs X-CSRF-Token. `?everywhere=true` ends every session of the user (a lost laptop).",
      access: "public",
      query: logoutQuerySchema,
      responses: {
        204: { description: "Signed out; the cookie is cleared." },
        401: problemResponse("Not signed in (SessionRequired)."),
        403: problemResponse("No or a wrong X-CSRF-Token (CsrfRejected)."),
      },
    },
    async (c, { query }) => {
      const current = await currentSession(c, deps.sessions);
      const trail = deps.auditing.trail(c.get("origin"), {
        type: "user",
        id: current.user.id,
        auth_method: "session",
      });
      try {
        requireCsrf(c, deps.sessions, current.session);
      } catch (error) {
        await trail.record({
          event: "authentication",
          action: "csrf_rejected",
          outcome: "denied",
          severity: "warning",
          target: { type: "user", id: current.user.id },
          details: { code: "CsrfRejected" },
        });
        throw error;
      }
      const everywhere = query.everywhere === "true";
      const ended = everywhere
        ? await deps.sessions.logoutEverywhere(current.user.id)
        : Number(await deps.sessions.logout(getCookie(c, SESSION_COOKIE)));
      deleteCookie(c, SESSION_COOKIE, { path: "/", secure: deps.secureCookies });
      await trail.record({
        event: "authentication",
        action: "logout",
        outcome: "success",
        target: { type: "user", id: current.user.id },
        details: { everywhere, sessions: ended },
      });
      return c.body(null, 204);
    },
  );

  return api;
}

async function currentSession(
  c: Context<AppEnv>,
  sessions: SessionService,
): Promise<NonNullable<Awaited<ReturnType<SessionService["authenticate"]>>>> {
  const current = await sessions.authenticate(getCookie(c, SESSION_COOKIE));
  if (current === null) throw sessionRequired();
  return current;
}
