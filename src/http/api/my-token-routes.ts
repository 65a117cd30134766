import type { AuditedTokens } from "../../access/audited-tokens.ts";
import type { TokenService } from "../../access/token-service.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import type { ApiRouter } from "../openapi/api-router.ts";
import { myAccountRouter } from "./my-account-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import { signedInUserId as me } from "./signed-in-user.ts";
import {
  createdTokenSchema,
  createTokenSchema,
  publicTokenSchema,
  tokenListSchema,
  tokenPatch,
  updateTokenSchema,
} from "./token-schemas.ts";

const TOKEN_ID = { id: "The token's id." };

/**
 * /api/me/tokens: the signed-in person's personal tokens. They belong to the person and never
 * allow more than their role; another person's token id is a 404, like an unknown one.
 */
export function myTokenRoutes(deps: {
  tokens: TokenService;
  audited: AuditedTokens;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = myAccountRouter("/api/me/tokens", deps);

  api.add(
    {
      method: "get",
      path: "/",
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
      path: "/",
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
      path: "/:id",
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
      path: "/:id",
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

  return api;
}
