import type { Context } from "hono";
import type { AuditedPasswordChanges } from "../../access/audited-password-changes.ts";
import type { UserService } from "../../access/user-service.ts";
import type { RequestAuditing } from "../../audit/request-auditing.ts";
import type { AppEnv } from "../app-env.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import type { ApiRouter } from "../openapi/api-router.ts";
import { myAccountRouter } from "./my-account-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import { changedPasswordSchema, changePasswordSchema } from "./account-link-schemas.ts";
import { signedInUserId as me } from "./signed-in-user.ts";
import { publicUserSchema } from "./user-schemas.ts";

/**
 * /api/me: the signed-in person's own account, in a dashboard session (tokens are refused: a
 * leaked script token must not take the account over). Their personal tokens and second factor
 * are under /api/me/tokens and /api/me/two-factor.
 */
export function meRoutes(deps: {
  users: UserService;
  passwords: AuditedPasswordChanges;
  auditing: RequestAuditing;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = myAccountRouter("/api/me", deps);
  const clientAddress = (c: Context<AppEnv>): string | null => deps.auditing.clientAddress(c.get("origin"));

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "getMe",
      summary: "My profile",
      access: "signed-in",
      duringTwoFactorEnrolment: true,
      responses: { 200: { description: "The signed-in person.", schema: publicUserSchema } },
    },
    async (c) => c.json(await deps.users.get(me(c))),
  );

  api.add(
    {
      method: "post",
      path: "/password",
      operationId: "changeMyPassword",
      summary: "Change my password",
      description: "Needs the current one. My other sessions end; this one stays.",
      access: "signed-in",
      duringTwoFactorEnrolment: true,
      audit: { event: "user", action: "password_changed", target: "user" },
      body: changePasswordSchema,
      responses: {
        200: { description: "Changed.", schema: changedPasswordSchema },
        403: problemResponse("The current password is wrong (WrongCurrentPassword)."),
      },
    },
    async (c, { body }) => {
      const changed = await deps.passwords.changePassword(
        me(c),
        // The guard accepted this session (signed-in operations take no token): it stays.
        { ...body, ipAddress: clientAddress(c), keepSessionIdHash: c.get("session").idHash },
        c.get("audit"),
      );
      return c.json(changed);
    },
  );

  return api;
}
