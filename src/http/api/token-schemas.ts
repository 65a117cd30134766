import { z } from "zod";
import type { TokenPatch } from "../../access/token-service.ts";
import { tokenScopes } from "../../access/token-scope.ts";
import { instantInputSchema, instantSchema } from "../openapi/common-schemas.ts";

const description = z.string().max(200).meta({ description: "What the token is for (max. 200)." });
const scopes = z
  .array(z.enum(tokenScopes))
  .min(1)
  .max(3)
  .meta({ description: "`read` (install), `write` (also upload and sync), `admin` (everything)." });
const packages = z.array(z.string()).max(100).meta({
  description:
    "Package name patterns the token may see (`acme/*`, `vendor/package-*`); empty: every package.",
});
const expiresAt = instantInputSchema
  .nullable()
  .meta({ description: "When the token stops working; null: never." });

export const createTokenSchema = z
  .object({
    description,
    scopes: scopes.optional(),
    packages: packages.optional(),
    expiresAt: expiresAt.optional(),
  })
  .strict();

export const updateTokenSchema = z
  .object({
    description: description.optional(),
    scopes: scopes.optional(),
    packages: packages.optional(),
    expiresAt: expiresAt.optional(),
  })
  .strict();

export const publicTokenSchema = z
  .object({
    id: z.string(),
    description: z.string(),
    fingerprint: z.string().meta({ description: "Identifies the token in logs; safe to show." }),
    scopes: z.array(z.enum(tokenScopes)),
    packagePatterns: z.array(z.string()),
    expiresAt: instantSchema.nullable(),
    revokedAt: instantSchema.nullable(),
    lastUsedAt: instantSchema.nullable(),
    createdAt: instantSchema,
    owner: z
      .object({ id: z.string() })
      .nullable()
      .meta({ description: "The person a personal token belongs to; null for a shared token." }),
  })
  .meta({ id: "Token", description: "An API token, without its secret." });

export const createdTokenSchema = publicTokenSchema
  .extend({ token: z.string().meta({ description: "The secret: shown in this response only." }) })
  .meta({ id: "CreatedToken", description: "A new token, with its secret (shown once)." });

export const tokenListSchema = z.object({ tokens: z.array(publicTokenSchema) });

/** A validated body's fields as the token service names them (`packages` → `packagePatterns`). */
export function tokenPatch(body: z.output<typeof updateTokenSchema>): TokenPatch {
  return {
    ...(body.description === undefined ? {} : { description: body.description }),
    ...(body.scopes === undefined ? {} : { scopes: body.scopes }),
    ...(body.packages === undefined ? {} : { packagePatterns: body.packages }),
    ...(body.expiresAt === undefined ? {} : { expiresAt: body.expiresAt }),
  };
}
