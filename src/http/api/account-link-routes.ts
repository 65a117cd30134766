import type { AuditedAccountLinks } from "../../access/audited-account-links.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import {
  acceptedLinkSchema,
  acceptLinkSchema,
  accountLinkSchema,
  describeLinkSchema,
  invitationListSchema,
  inviteSchema,
  issuedLinkSchema,
  linkDescriptionSchema,
} from "./account-link-schemas.ts";

/** /api/invitations (`users:manage`): inviting people by e-mail. */
export function invitationRoutes(deps: {
  links: AuditedAccountLinks;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/invitations",
    tag: "Invitations",
    tagDescription: "Invite people by e-mail; the link is also returned to the inviting admin.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "listInvitations",
      summary: "Open invitations",
      access: "users:manage",
      responses: {
        200: { description: "Invitations not used, revoked or expired.", schema: invitationListSchema },
      },
    },
    async (c) => c.json({ invitations: await deps.links.listInvitations() }),
  );

  api.add(
    {
      method: "post",
      path: "/",
      operationId: "invite",
      summary: "Invite someone",
      description:
        "A link valid for 7 days, e-mailed when SMTP is configured and always returned here. A new invitation for the same address replaces the open one.",
      access: "users:manage",
      audit: { event: "user", action: "invited", target: "user" },
      body: inviteSchema,
      responses: {
        201: { description: "The invitation and its link.", schema: issuedLinkSchema },
        409: problemResponse("A user with this address exists (UserExists)."),
      },
    },
    async (c, { body }) => {
      const issued = await deps.links.invite(
        { email: body.email, role: body.role, invitedBy: c.get("grant").user?.id ?? null },
        c.get("audit"),
      );
      return c.json(issued, 201);
    },
  );

  api.add(
    {
      method: "delete",
      path: "/:id",
      operationId: "revokeInvitation",
      summary: "Revoke an invitation",
      access: "users:manage",
      audit: { event: "user", action: "invitation_revoked", target: "user" },
      params: { id: "The invitation's id." },
      responses: {
        200: { description: "The revoked invitation.", schema: accountLinkSchema },
        409: problemResponse("Used or expired already (InvitationClosed)."),
      },
    },
    async (c, { params }) => c.json(await deps.links.revokeInvitation(params.id, c.get("audit"))),
  );

  return api;
}

/**
 * /api/account-links: what someone who opened a link (an invitation, the first-run setup link, a
 * password reset) does with it. Public: the link's token is the credential. It travels in the
 * body, never in a URL, so it is in no access log; every unusable link is one `404 LinkInvalid`.
 */
export function accountLinkRoutes(deps: {
  links: AuditedAccountLinks;
  guard: TokenGuard;
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/account-links",
    tag: "Account links",
    tagDescription: "Accepting an invitation, the first-run setup, a password reset.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });

  api.add(
    {
      method: "post",
      path: "/describe",
      operationId: "describeAccountLink",
      summary: "What a link is for",
      description: "Without using it: the form to show (purpose, address, role, expiry).",
      access: "public",
      body: describeLinkSchema,
      responses: {
        200: { description: "The link.", schema: linkDescriptionSchema },
        404: problemResponse("Unknown, expired, used or revoked (LinkInvalid)."),
      },
    },
    async (c, { body }) => c.json(await deps.links.describe(body.token)),
  );

  api.add(
    {
      method: "post",
      path: "/accept",
      operationId: "acceptAccountLink",
      summary: "Use a link",
      description:
        "An invitation or the setup link creates the account with this password; a reset sets the password and ends the account's sessions. Once only. Then sign in with POST /api/session.",
      access: "public",
      body: acceptLinkSchema,
      responses: {
        200: { description: "Done.", schema: acceptedLinkSchema },
        404: problemResponse("Unknown, expired, used or revoked (LinkInvalid)."),
        409: problemResponse("The address is taken (UserExists), or an admin exists already (AdminExists)."),
      },
    },
    async (c, { body }) => {
      const { token, ...input } = body;
      return c.json(await deps.links.accept(token, input, c.get("audit")));
    },
  );

  return api;
}
