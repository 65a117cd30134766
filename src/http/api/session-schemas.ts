import { z } from "zod";
import { instantSchema } from "../openapi/common-schemas.ts";
import { publicUserSchema } from "./user-schemas.ts";

export const loginSchema = z
  .object({
    email: z.string().max(320),
    password: z.string().max(16_384),
    code: z.string().max(64).optional().meta({ description: "The TOTP code, when 2FA is on." }),
    recoveryCode: z
      .string()
      .max(64)
      .optional()
      .meta({ description: "A recovery code instead of a TOTP code." }),
  })
  .strict();

export const sessionSchema = z.object({
  user: publicUserSchema,
  csrfToken: z
    .string()
    .meta({ description: "Send it back in X-CSRF-Token with every change made with this session." }),
  expiresAt: instantSchema.meta({ description: "The absolute end (an idle timeout may end it sooner)." }),
  twoFactorEnrolmentRequired: z.boolean().meta({
    description:
      "The policy requires 2FA and the person has none yet: until they enrol, the session may only read itself, enrol and change its password (403 TwoFactorEnrolmentRequired elsewhere).",
  }),
});

export const logoutQuerySchema = z.object({
  everywhere: z.string().optional().meta({ description: "`true`: end every session of the user." }),
});
