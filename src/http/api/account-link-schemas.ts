import { z } from "zod";
import { userRoles } from "../../access/user-role.ts";
import { instantSchema } from "../openapi/common-schemas.ts";
import { publicUserSchema } from "./user-schemas.ts";

const purpose = z.enum(["invitation", "setup", "password-reset"]);
const token = z.string().max(256).meta({ description: "The token from the link's fragment (after #)." });

export const accountLinkSchema = z
  .object({
    id: z.string(),
    purpose,
    email: z.string().nullable(),
    role: z.enum(userRoles).nullable(),
    userId: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: instantSchema,
    expiresAt: instantSchema,
    usedAt: instantSchema.nullable(),
    revokedAt: instantSchema.nullable(),
    status: z.enum(["open", "used", "revoked", "expired"]),
  })
  .meta({
    id: "AccountLink",
    description: "A one-time link (invitation, setup, password reset); never its token.",
  });

const deliverySchema = z
  .union([
    z.object({ status: z.literal("sent") }),
    z.object({ status: z.literal("failed"), error: z.string() }),
    z.object({ status: z.literal("not-configured") }),
  ])
  .meta({ description: "Whether the link was e-mailed (PB_SMTP_URL); it is returned either way." });

export const issuedLinkSchema = z
  .object({
    link: accountLinkSchema,
    url: z.string().meta({ description: "The link to send, token included. Shown once." }),
    replaced: z.array(accountLinkSchema).meta({ description: "Earlier open links it revoked." }),
    delivery: deliverySchema,
  })
  .meta({ id: "IssuedLink" });

export const inviteSchema = z
  .object({
    email: z.string().max(320),
    role: z.enum(userRoles),
  })
  .strict();

export const invitationListSchema = z.object({ invitations: z.array(accountLinkSchema) });

export const describeLinkSchema = z.object({ token }).strict();

export const linkDescriptionSchema = z.object({
  purpose,
  email: z.string().nullable().meta({ description: "Null for the setup link: the person chooses it." }),
  role: z.enum(userRoles).nullable(),
  expiresAt: instantSchema,
});

export const acceptLinkSchema = z
  .object({
    token,
    password: z.string().max(16_384),
    name: z.string().max(200).nullable().optional(),
    email: z
      .string()
      .max(320)
      .optional()
      .meta({ description: "The first admin's address (setup link); for an invitation, the invited one." }),
  })
  .strict();

export const acceptedLinkSchema = z.object({
  purpose,
  link: accountLinkSchema,
  user: publicUserSchema,
  endedSessions: z.number().int(),
});

export const changePasswordSchema = z
  .object({
    currentPassword: z.string().max(16_384),
    newPassword: z.string().max(16_384),
  })
  .strict();

export const changedPasswordSchema = z.object({
  user: publicUserSchema,
  endedSessions: z.number().int().meta({ description: "My other sessions, ended." }),
});
