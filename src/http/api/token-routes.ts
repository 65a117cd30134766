import type { AuditedTokens } from "../../access/audited-tokens.ts";
import type { TokenService } from "../../access/token-service.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import {
  createdTokenSchema,
  createTokenSchema,
  publicTokenSchema,
  tokenListSchema,
  tokenPatch,
  updateTokenSchema,
} from "./token-schemas.ts";

const ID = { id: "The token's id." };

/** /api/tokens: access tokens. The secret is in the creation response only. */
export function tokenRoutes(deps: {
  tokens: TokenService;
  audited: AuditedTokens;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/tokens",
    tag: "Tokens",
    tagDescription: "API tokens for Composer and for scripts: scopes, package patterns, expiry.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "listTokens",
      summary: "List tokens",
      description: "Every token, revoked and expired ones included, newest first.",
      access: "tokens:manage",
      responses: { 200: { description: "The tokens.", schema: tokenListSchema } },
    },
    async (c) => c.json({ tokens: await deps.tokens.list() }),
  );

  api.add(
    {
      method: "post",
      path: "/",
      operationId: "createToken",
      summary: "Create a token",
      description:
        "The secret is in this response only. Scopes default to `read`, packages to all. Scopes that would allow more than the caller holds are refused (403 `ScopeBeyondGrant`): a maintainer creates `read` and `write` tokens, not `admin` ones.",
      access: "tokens:manage",
      audit: { event: "token", action: "created", target: "token" },
      body: createTokenSchema,
      responses: { 201: { description: "The token, with its secret.", schema: createdTokenSchema } },
    },
    async (c, { body }) => {
      const created = await deps.audited.create(
        { ...tokenPatch(body), description: body.description },
        c.get("audit"),
        c.get("grant"),
      );
      return c.json({ ...created.record, token: created.token }, 201);
    },
  );

  api.add(
    {
      method: "get",
      path: "/:id",
      operationId: "getToken",
      summary: "Show a token",
      access: "tokens:manage",
      params: ID,
      responses: { 200: { description: "The token.", schema: publicTokenSchema } },
    },
    async (c, { params }) => c.json(await deps.tokens.get(params.id)),
  );

  api.add(
    {
      method: "patch",
      path: "/:id",
      operationId: "updateToken",
      summary: "Change a token",
      description:
        "Changes the fields present; `expiresAt: null` removes the expiry. A token whose scopes (now or after the change) allow more than the caller holds is not changed (403 `ScopeBeyondGrant`); revoking it is allowed.",
      access: "tokens:manage",
      audit: { event: "token", action: "updated", target: "token" },
      params: ID,
      body: updateTokenSchema,
      responses: { 200: { description: "The token as changed.", schema: publicTokenSchema } },
    },
    async (c, { body, params }) => {
      const updated = await deps.audited.update(
        params.id,
        tokenPatch(body),
        c.get("audit"),
        {},
        c.get("grant"),
      );
      return c.json(updated);
    },
  );

  api.add(
    {
      method: "delete",
      path: "/:id",
      operationId: "revokeToken",
      summary: "Revoke a token",
      description: "For good: the next request with it is refused. Revoking again is harmless.",
      access: "tokens:manage",
      audit: { event: "token", action: "revoked", target: "token" },
      params: ID,
      responses: { 200: { description: "The revoked token.", schema: publicTokenSchema } },
    },
    async (c, { params }) => c.json(await deps.audited.revoke(params.id, c.get("audit"))),
  );

  return api;
}
