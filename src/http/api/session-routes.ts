import type { Context } from "hono";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { LoginRefused } from "../../access/login-refused.ts";
import type { SessionService } from "../../access/session-service.ts";
import type { AuditActor } from "../../audit/audit-event.ts";
import type { RequestAuditing } from "../../audit/request-auditing.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { AppEnv } from "../app-env.ts";
import { readJsonBody } from "../read-body.ts";
import { requireCsrf, SESSION_COOKIE, sessionRequired } from "../session-cookie.ts";

const loginSchema = z
  .object({
    email: z.string().max(320),
    password: z.string().max(16_384),
    code: z.string().max(64).optional(),
    recoveryCode: z.string().max(64).optional(),
  })
  .strict();

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
  maxJsonBytes: number;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("sessionRoute", true);
    await next();
  });

  app.post("/", async (c) => {
    const origin = c.get("origin");
    const refusedTrail = deps.auditing.trail(origin, anonymous);
    let input: z.output<typeof loginSchema>;
    try {
      input = await readJsonBody(c, loginSchema, deps.maxJsonBytes);
    } catch (error) {
      await refusedTrail.record({
        event: "authentication",
        action: "login_failed",
        outcome: "failure",
        target: { type: "user" },
        details: { code: error instanceof DomainError ? error.code : "InvalidRequest", reason: "malformed" },
      });
      throw error;
    }
    try {
      const result = await deps.sessions.login({
        ...input,
        ipAddress: deps.auditing.clientAddress(origin),
        userAgent: origin.userAgent ?? null,
      });
      const trail = deps.auditing.trail(origin, { type: "user", id: result.user.id, auth_method: "session" });
      await trail.record({
        event: "authentication",
        action: "login_succeeded",
        outcome: "success",
        target: { type: "user", id: result.user.id },
        details: { second_factor: result.secondFactor },
      });
      setCookie(c, SESSION_COOKIE, result.sessionToken, {
        httpOnly: true,
        secure: deps.secureCookies,
        sameSite: "Strict",
        path: "/",
        expires: new Date(result.expiresAt),
      });
      return c.json({ user: result.user, csrfToken: result.csrfToken, expiresAt: result.expiresAt });
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
  });

  app.get("/", async (c) => {
    const current = await currentSession(c, deps.sessions);
    return c.json({ user: current.user, expiresAt: current.session.expiresAt });
  });

  /** Signs out; `?everywhere=true` ends every session of the user (a lost laptop). */
  app.delete("/", async (c) => {
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
    const everywhere = c.req.query("everywhere") === "true";
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
  });

  return app;
}

async function currentSession(
  c: Context<AppEnv>,
  sessions: SessionService,
): Promise<NonNullable<Awaited<ReturnType<SessionService["authenticate"]>>>> {
  const current = await sessions.authenticate(getCookie(c, SESSION_COOKIE));
  if (current === null) throw sessionRequired();
  return current;
}
