import { z } from "zod";
import type { AuditedAccountLinks } from "../../access/audited-account-links.ts";
import type { AuditedUsers } from "../../access/audited-users.ts";
import type { TwoFactorService } from "../../access/two-factor-service.ts";
import type { UserService } from "../../access/user-service.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { issuedLinkSchema } from "./account-link-schemas.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import {
  createUserSchema,
  deletedUserSchema,
  publicUserSchema,
  updateUserSchema,
  userListSchema,
} from "./user-schemas.ts";

const ID = { id: "The user's id (usr_…)." };

/** /api/users: people and their roles (`users:manage`). Never a password hash or 2FA secret. */
export function userRoutes(deps: {
  users: UserService;
  audited: AuditedUsers;
  twoFactor: TwoFactorService;
  links: AuditedAccountLinks;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/users",
    tag: "Users",
    tagDescription: "People, their roles and their status.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "listUsers",
      summary: "List users",
      access: "users:manage",
      responses: { 200: { description: "Every user.", schema: userListSchema } },
    },
    async (c) => c.json({ users: await deps.users.list() }),
  );

  api.add(
    {
      method: "post",
      path: "/",
      operationId: "createUser",
      summary: "Create a user",
      access: "users:manage",
      audit: { event: "user", action: "created", target: "user" },
      body: createUserSchema,
      responses: {
        201: { description: "The user.", schema: publicUserSchema, headers: { location: "The user's URL." } },
        409: problemResponse("A user with this e-mail address exists (UserExists)."),
      },
    },
    async (c, { body }) => {
      const user = await deps.audited.create(body, c.get("audit"));
      return c.json(user, 201, { location: `/api/users/${user.id}` });
    },
  );

  api.add(
    {
      method: "get",
      path: "/:id",
      operationId: "getUser",
      summary: "Show a user",
      access: "users:manage",
      params: ID,
      responses: { 200: { description: "The user.", schema: publicUserSchema } },
    },
    async (c, { params }) => c.json(await deps.users.get(params.id)),
  );

  api.add(
    {
      method: "patch",
      path: "/:id",
      operationId: "updateUser",
      summary: "Change a user's role, status or name",
      description: "The last active admin can be neither demoted nor blocked (409 LastAdmin).",
      access: "users:manage",
      audit: { event: "user", action: "updated", target: "user" },
      params: ID,
      body: updateUserSchema,
      responses: {
        200: { description: "The user as changed.", schema: publicUserSchema },
        409: problemResponse("The last active admin (LastAdmin)."),
      },
    },
    async (c, { body, params }) => c.json(await deps.audited.update(params.id, body, c.get("audit"))),
  );

  api.add(
    {
      method: "delete",
      path: "/:id",
      operationId: "deleteUser",
      summary: "Delete a user",
      description:
        "Signs them out everywhere and revokes their tokens at once; their e-mail address is freed. Events keep their id. The last active admin cannot be deleted (409 LastAdmin).",
      access: "users:manage",
      audit: { event: "user", action: "deleted", target: "user" },
      params: ID,
      responses: {
        200: { description: "What the deletion ended.", schema: deletedUserSchema },
        409: problemResponse("The last active admin (LastAdmin)."),
      },
    },
    async (c, { params }) => c.json(await deps.audited.delete(params.id, c.get("audit"))),
  );

  api.add(
    {
      method: "post",
      path: "/:id/password-reset",
      operationId: "resetUserPassword",
      summary: "Send a password reset link",
      description:
        "A link valid for 24 hours, e-mailed when SMTP is configured and always returned here. Using it sets the password and ends the user's sessions.",
      access: "users:manage",
      audit: { event: "user", action: "password_reset_requested", target: "user" },
      params: ID,
      responses: { 201: { description: "The link.", schema: issuedLinkSchema } },
    },
    async (c, { params }) => {
      const issued = await deps.links.requestPasswordReset(
        { userId: params.id, requestedBy: c.get("grant").user?.id ?? null },
        c.get("audit"),
      );
      return c.json(issued, 201);
    },
  );

  api.add(
    {
      method: "delete",
      path: "/:id/two-factor",
      operationId: "resetUserTwoFactor",
      summary: "Reset a user's 2FA",
      description:
        "For a lost phone: clears their authenticator and recovery codes and signs them out; they sign in with their password and enrol again.",
      access: "users:manage",
      audit: { event: "user", action: "two_factor_reset", target: "user" },
      params: ID,
      responses: {
        200: {
          description: "How many sessions ended.",
          schema: z.object({ sessionsEnded: z.number().int() }),
        },
      },
    },
    async (c, { params }) => c.json(await deps.twoFactor.resetTwoFactor(params.id, c.get("audit"))),
  );

  return api;
}
