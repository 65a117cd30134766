import type { Command } from "commander";
import type { CreatedLink, IssuedLink } from "../access/account-links.ts";
import type { PublicAccountLink } from "../access/public-account-link.ts";
import { userRoles } from "../access/user-role.ts";
import { invalidInput } from "../errors/domain-error.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";
import { textTable } from "./text-table.ts";

interface InviteOptions {
  email: string;
  role: string;
  json?: boolean;
}

interface ResetOptions {
  email?: string;
  id?: string;
  json?: boolean;
}

/**
 * `package-broker user invite | reset-password | setup-link | invitations | revoke-invitation`:
 * one-time links to an account, made at the console. The link is always printed (also when it
 * was e-mailed): the admin may pass it on. An e-mail that could not be sent does not fail the
 * command (the link exists); it is said, and logged as a warning. Registered on the `user` command.
 */
export function registerUserLinkCommands(
  user: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  user
    .command("invite")
    .description("invite a person: a link to create their account (e-mailed when PB_SMTP_URL is set)")
    .requiredOption("--email <address>", "their e-mail address")
    .requiredOption("--role <role>", `one of ${userRoles.join(", ")}`)
    .option("--json", "print JSON")
    .action((options: InviteOptions) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const issued = await runtime.auditedAccountLinks.invite(
            { email: options.email, role: options.role, invitedBy: null },
            consoleTrail(runtime),
          );
          output(io, options.json === true, issued, () =>
            issuedText(issued, `Invited ${issued.link.email ?? ""} as ${issued.link.role ?? ""}`),
          );
        }),
      ),
    );

  user
    .command("reset-password")
    .description("make a link that sets a new password for a user, and ends their sessions once used")
    .option("--email <address>", "the user's e-mail address")
    .option("--id <id>", "the user's id (usr_…)")
    .option("--json", "print JSON")
    .action((options: ResetOptions) =>
      run(async () => {
        if ((options.email === undefined) === (options.id === undefined)) {
          throw invalidInput("UserReferenceRequired", "give either --email or --id");
        }
        await withRuntime(io, async (runtime) => {
          const issued = await runtime.auditedAccountLinks.requestPasswordReset(
            options.id === undefined
              ? { email: options.email, requestedBy: null }
              : { userId: options.id, requestedBy: null },
            consoleTrail(runtime),
          );
          output(io, options.json === true, issued, () =>
            issuedText(issued, `Password reset for ${issued.link.email ?? ""} (${issued.link.userId ?? ""})`),
          );
        });
      }),
    );

  user
    .command("setup-link")
    .description("make a link that creates the first admin (only while there is no active admin)")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const created = await runtime.auditedAccountLinks.createSetupLink(consoleTrail(runtime));
          output(io, options.json === true, created, () =>
            linkText(
              created,
              "Setup link for the first admin",
              "Open it to choose the admin's e-mail address and password.",
            ),
          );
        }),
      ),
    );

  user
    .command("invitations")
    .description("list the open invitations")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const invitations = await runtime.auditedAccountLinks.listInvitations();
          output(io, options.json === true, invitations, () => invitationTable(invitations));
        }),
      ),
    );

  user
    .command("revoke-invitation")
    .description("revoke an open invitation: its link stops working")
    .argument("<id>", "the invitation's id (lnk_…)")
    .option("--json", "print JSON")
    .action((id: string, options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const revoked = await runtime.auditedAccountLinks.revokeInvitation(id, consoleTrail(runtime));
          output(
            io,
            options.json === true,
            revoked,
            () => `Revoked the invitation ${revoked.id} for ${revoked.email ?? ""}`,
          );
        }),
      ),
    );
}

function issuedText(issued: IssuedLink, headline: string): string {
  const delivery =
    issued.delivery.status === "sent"
      ? `E-mailed to ${issued.link.email ?? ""}.`
      : issued.delivery.status === "failed"
        ? `The e-mail could not be sent (${issued.delivery.error}): give them this link yourself.`
        : "E-mail is not configured (PB_SMTP_URL): give them this link yourself.";
  return linkText(issued, headline, delivery);
}

function linkText(created: CreatedLink, headline: string, note: string): string {
  const replaced =
    created.replaced.length === 0 ? [] : [`It replaces ${created.replaced.map((l) => l.id).join(", ")}.`];
  return [
    `${headline}: ${created.link.id}, works once, until ${created.link.expiresAt}.`,
    ...replaced,
    note,
    created.url,
  ].join("\n");
}

function invitationTable(invitations: readonly PublicAccountLink[]): string {
  if (invitations.length === 0) return "No open invitations.";
  const rows = [
    ["ID", "E-MAIL", "ROLE", "EXPIRES"],
    ...invitations.map((link) => [link.id, link.email ?? "", link.role ?? "", link.expiresAt]),
  ];
  return textTable(rows);
}
