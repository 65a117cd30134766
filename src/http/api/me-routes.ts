import type { AuditedTokens } from "../../access/audited-tokens.ts";
import type { TokenService } from "../../access/token-service.ts";
import type { UserService } from "../../access/user-service.ts";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { AuditedPasswordChanges } from "../../access/audited-password-changes.ts";
import type { SessionService } from "../../access/session-service.ts";
import { SESSION_COOKIE } from "../session-cookie.ts";
import { changedPasswordSchema, changePasswordSchema } from "./account-link-schemas.ts";
import { z } from "zod";
import type { TwoFactorService } from "../../access/two-factor-service.ts";
import type { RequestAuditing } from "../../audit/request-auditing.ts";
import { instantSchema } from "../openapi/common-schemas.ts";
import type { AppEnv } from "../app-env.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import {
  createdTokenSchema,
  createTokenSchema,
  publicTokenSchema,
  tokenListSchema,
  tokenPatch,
  updateTokenSchema,
} from "./token-schemas.ts";
import { publicUserSchema } from "./user-schemas.ts";

const codeSchema = z
  .object({ code: z.string().max(64).meta({ description: "A current TOTP code." }) })
  .strict();

const reauthenticationSchema = z
  .object({
    password: z.string().max(16_384).optional(),
    code: z.string().max(64).optional().meta({ description: "A current TOTP code instead of the password." }),
  })
  .strict();

const twoFactorStatusSchema = z.object({
  enabled: z.boolean(),
  pending: z.boolean().meta({ description: "Enrolment started and not confirmed yet." }),
  enabledAt: instantSchema.nullable(),
  recoveryCodesLeft: z.number().int(),
  required: z.boolean().meta({ description: "The policy requires 2FA of everyone." }),
});

const totpEnrolmentSchema = z.object({
  secret: z.string().meta({ description: "Base32, for typing into an app." }),
  uri: z.string().meta({ description: "otpauth://totp/… for a QR code." }),
});

const recoveryCodesSchema = z.object({ recoveryCodes: z.array(z.string()) });

/** The signed-in person's id (the guard of a `signed-in` operation guarantees there is one). */
function me(c: Context<AppEnv>): string {
  const user = c.get("grant").user;
  if (user === null) throw new Error("a signed-in operation without a person");
  return user.id;
}

/**
 * /api/me: the signed-in person's own account, in a dashboard session (tokens are refused: a
 * leaked script token must not take the account over). Personal tokens made here belong to the
 * person and never allow more than their role.
 */
export function meRoutes(deps: {
  users: UserService;
  tokens: TokenService;
  twoFactor: TwoFactorService;
  passwords: AuditedPasswordChanges;
  sessions: SessionService;
  auditing: RequestAuditing;
  audited: AuditedTokens;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/me",
    tag: "My account",
    tagDescription: "The signed-in person's profile, password, second factor and personal tokens.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });
  const TOKEN_ID = { id: "The token's id." };

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
      method: "get",
      path: "/tokens",
      operationId: "listMyTokens",
      summary: "My personal tokens",
      access: "signed-in",
      responses: { 200: { description: "My tokens, revoked ones included.", schema: tokenListSchema } },
    },
    async (c) => c.json({ tokens: await deps.tokens.list({ ownerId: me(c) }) }),
  );

  api.add(
    {
      method: "post",
      path: "/tokens",
      operationId: "createMyToken",
      summary: "Create a personal token",
      description:
        "It allows what its scopes allow and my role allows, no more, and stops working when I am blocked or deleted. A token that would allow nothing is refused (400 ScopeOutsideRole).",
      access: "signed-in",
      audit: { event: "token", action: "created", target: "token" },
      body: createTokenSchema,
      responses: { 201: { description: "The token, with its secret.", schema: createdTokenSchema } },
    },
    async (c, { body }) => {
      const created = await deps.audited.create(
        { ...tokenPatch(body), description: body.description, ownerId: me(c) },
        c.get("audit"),
      );
      return c.json({ ...created.record, token: created.token }, 201);
    },
  );

  api.add(
    {
      method: "patch",
      path: "/tokens/:id",
      operationId: "updateMyToken",
      summary: "Change a personal token",
      access: "signed-in",
      audit: { event: "token", action: "updated", target: "token" },
      params: TOKEN_ID,
      body: updateTokenSchema,
      responses: {
        200: { description: "The token as changed.", schema: publicTokenSchema },
        404: problemResponse("No token of mine has this id."),
      },
    },
    async (c, { body, params }) =>
      c.json(await deps.audited.update(params.id, tokenPatch(body), c.get("audit"), { ownerId: me(c) })),
  );

  api.add(
    {
      method: "delete",
      path: "/tokens/:id",
      operationId: "revokeMyToken",
      summary: "Revoke a personal token",
      access: "signed-in",
      audit: { event: "token", action: "revoked", target: "token" },
      params: TOKEN_ID,
      responses: {
        200: { description: "The revoked token.", schema: publicTokenSchema },
        404: problemResponse("No token of mine has this id."),
      },
    },
    async (c, { params }) => c.json(await deps.audited.revoke(params.id, c.get("audit"), { ownerId: me(c) })),
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
      const session = await deps.sessions.authenticate(getCookie(c, SESSION_COOKIE));
      const changed = await deps.passwords.changePassword(
        me(c),
        {
          ...body,
          ipAddress: clientAddress(c),
          ...(session === null ? {} : { keepSessionIdHash: session.session.idHash }),
        },
        c.get("audit"),
      );
      return c.json(changed);
    },
  );

  api.add(
    {
      method: "get",
      path: "/two-factor",
      operationId: "getMyTwoFactor",
      summary: "My two-factor status",
      access: "signed-in",
      duringTwoFactorEnrolment: true,
      responses: {
        200: { description: "Whether 2FA is on, pending, required.", schema: twoFactorStatusSchema },
      },
    },
    async (c) => c.json(await deps.twoFactor.status(me(c))),
  );

  api.add(
    {
      method: "post",
      path: "/two-factor",
      operationId: "beginMyTwoFactor",
      summary: "Start enrolling an authenticator app",
      description:
        "A new TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s) and its otpauth:// URI for a QR code. Enabled once confirmed with a code.",
      access: "signed-in",
      duringTwoFactorEnrolment: true,
      responses: {
        200: { description: "The secret, shown once.", schema: totpEnrolmentSchema },
        409: problemResponse("2FA is on already (TwoFactorAlreadyEnabled)."),
      },
    },
    async (c) => c.json(await deps.twoFactor.beginTotp(me(c))),
  );

  api.add(
    {
      method: "post",
      path: "/two-factor/confirm",
      operationId: "confirmMyTwoFactor",
      summary: "Turn 2FA on with a first code",
      description: "Answers with the recovery codes, shown once: each works once instead of a code.",
      access: "signed-in",
      duringTwoFactorEnrolment: true,
      audit: { event: "user", action: "two_factor_enabled", target: "user" },
      body: codeSchema,
      responses: {
        200: { description: "2FA is on.", schema: recoveryCodesSchema },
        409: problemResponse("No enrolment started, or 2FA is on already."),
      },
    },
    async (c, { body }) => c.json(await deps.twoFactor.confirmTotp(me(c), body.code, c.get("audit"))),
  );

  api.add(
    {
      method: "post",
      path: "/two-factor/disable",
      operationId: "disableMyTwoFactor",
      summary: "Turn 2FA off",
      description:
        "Needs the password or a current code. Refused while the policy requires 2FA (403 TwoFactorRequiredByPolicy).",
      access: "signed-in",
      audit: { event: "user", action: "two_factor_disabled", target: "user" },
      body: reauthenticationSchema,
      responses: { 204: { description: "2FA is off; the recovery codes are gone." } },
    },
    async (c, { body }) => {
      await deps.twoFactor.disableTotp(me(c), { ...body, ipAddress: clientAddress(c) }, c.get("audit"));
      return c.body(null, 204);
    },
  );

  api.add(
    {
      method: "post",
      path: "/two-factor/recovery-codes",
      operationId: "regenerateMyRecoveryCodes",
      summary: "New recovery codes",
      description: "Needs a current code; the old recovery codes stop working.",
      access: "signed-in",
      audit: { event: "user", action: "recovery_codes_regenerated", target: "user" },
      body: codeSchema,
      responses: { 200: { description: "The new codes, shown once.", schema: recoveryCodesSchema } },
    },
    async (c, { body }) =>
      c.json(
        await deps.twoFactor.regenerateRecoveryCodes(
          me(c),
          { code: body.code, ipAddress: clientAddress(c) },
          c.get("audit"),
        ),
      ),
  );

  return api;
}
