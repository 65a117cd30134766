import { z } from "zod";
import { userRoles } from "../../access/user-role.ts";
import { instantSchema } from "../openapi/common-schemas.ts";

const email = z.string().max(320).meta({ description: "The sign-in address (case-insensitive)." });
const name = z.string().max(200).nullable().meta({ description: "A display name." });
const role = z.enum(userRoles).meta({ description: "admin, maintainer, auditor or viewer (docs/api.md)." });

export const createUserSchema = z
  .object({
    email,
    role,
    name: name.optional(),
    password: z
      .string()
      .max(16_384)
      .optional()
      .meta({ description: "At least 12 characters, not a common password; absent: set by an invitation." }),
  })
  .strict();

export const updateUserSchema = z
  .object({
    role: role.optional(),
    status: z.enum(["active", "blocked"]).optional().meta({ description: "blocked: signed out at once." }),
    name: name.optional(),
  })
  .strict();

export const publicUserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: z.enum(userRoles),
    status: z.enum(["active", "blocked"]),
    passwordSet: z.boolean(),
    twoFactor: z.boolean(),
    createdAt: instantSchema,
    updatedAt: instantSchema,
  })
  .meta({ id: "User", description: "A person; never a password hash or a 2FA secret." });

export const userListSchema = z.object({ users: z.array(publicUserSchema) });

export const deletedUserSchema = z.object({
  user: publicUserSchema.meta({ description: "The user as they were just before." }),
  deletedAt: instantSchema,
  revokedTokens: z.number().int(),
  endedSessions: z.number().int(),
});
