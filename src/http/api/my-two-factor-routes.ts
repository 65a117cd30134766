import type { Context } from "hono";
import { z } from "zod";
import type { TwoFactorService } from "../../access/two-factor-service.ts";
import type { RequestAuditing } from "../../audit/request-auditing.ts";
import type { AppEnv } from "../app-env.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import type { ApiRouter } from "../openapi/api-router.ts";
import { myAccountRouter } from "./my-account-router.ts";
import { instantSchema } from "../openapi/common-schemas.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import { signedInUserId as me } from "./signed-in-user.ts";

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

/** /api/me/two-factor: the signed-in person's authenticator app and recovery codes. */
export function myTwoFactorRoutes(deps: {
  twoFactor: TwoFactorService;
  auditing: RequestAuditing;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = myAccountRouter("/api/me/two-factor", deps);
  const clientAddress = (c: Context<AppEnv>): string | null => deps.auditing.clientAddress(c.get("origin"));

  api.add(
    {
      method: "get",
      path: "/",
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
      path: "/",
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
      path: "/confirm",
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
      path: "/disable",
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
      path: "/recovery-codes",
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
