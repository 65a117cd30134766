import { Hono } from "hono";
import { z } from "zod";
import { tokenScopes } from "../../access/token-scope.ts";
import type { AuditedTokens } from "../../access/audited-tokens.ts";
import type { TokenService } from "../../access/token-service.ts";
import type { AppEnv } from "../app-env.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { readJsonBody } from "../read-body.ts";

const expiresAt = z.iso
  .datetime({ offset: true, error: "expiresAt must be an ISO 8601 date-time" })
  .transform((value) => new Date(value))
  .nullable();

const createTokenSchema = z
  .object({
    description: z.string().max(200),
    scopes: z.array(z.enum(tokenScopes)).min(1).max(3).optional(),
    packages: z.array(z.string()).max(100).optional(),
    expiresAt: expiresAt.optional(),
  })
  .strict();

const updateTokenSchema = z
  .object({
    description: z.string().max(200).optional(),
    scopes: z.array(z.enum(tokenScopes)).min(1).max(3).optional(),
    packages: z.array(z.string()).max(100).optional(),
    expiresAt: expiresAt.optional(),
  })
  .strict();

/** /api/tokens: access tokens. The secret is in the creation response only. */
export function tokenRoutes(deps: {
  tokens: TokenService;
  audited: AuditedTokens;
  guard: TokenGuard;
  maxJsonBytes: number;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const manage = deps.guard("tokens:manage");

  app.get("/", manage, async (c) => c.json({ tokens: await deps.tokens.list() }));

  app.post("/", manage, async (c) => {
    const input = await readJsonBody(c, createTokenSchema, deps.maxJsonBytes);
    const created = await deps.audited.create(
      {
        description: input.description,
        ...(input.scopes === undefined ? {} : { scopes: input.scopes }),
        ...(input.packages === undefined ? {} : { packagePatterns: input.packages }),
        ...(input.expiresAt === undefined ? {} : { expiresAt: input.expiresAt }),
      },
      c.get("audit"),
    );
    return c.json({ ...created.record, token: created.token }, 201);
  });

  app.get("/:id", manage, async (c) => c.json(await deps.tokens.get(c.req.param("id"))));

  app.patch("/:id", manage, async (c) => {
    const input = await readJsonBody(c, updateTokenSchema, deps.maxJsonBytes);
    const updated = await deps.audited.update(
      c.req.param("id"),
      {
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.scopes === undefined ? {} : { scopes: input.scopes }),
        ...(input.packages === undefined ? {} : { packagePatterns: input.packages }),
        ...(input.expiresAt === undefined ? {} : { expiresAt: input.expiresAt }),
      },
      c.get("audit"),
    );
    return c.json(updated);
  });

  app.delete("/:id", manage, async (c) =>
    c.json(await deps.audited.revoke(c.req.param("id"), c.get("audit"))),
  );

  return app;
}
