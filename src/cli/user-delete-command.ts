import type { Command } from "commander";
import { invalidInput } from "../errors/domain-error.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";

interface DeleteOptions {
  email?: string;
  id?: string;
  json?: boolean;
}

/**
 * `package-broker user delete --email ADDRESS | --id ID [--json]`: deletes a user (a soft delete:
 * the id stays for the audit log, the e-mail address is freed, their sessions end and their tokens
 * are revoked). The last active admin cannot be deleted. Registered on the `user` command.
 */
export function registerUserDeleteCommand(
  user: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  user
    .command("delete")
    .description("delete a user: their sessions end and their tokens are revoked")
    .option("--email <address>", "the user's e-mail address")
    .option("--id <id>", "the user's id (usr_…)")
    .option("--json", "print JSON")
    .action((options: DeleteOptions) =>
      run(async () => {
        const reference = userReference(options);
        await withRuntime(io, async (runtime) => {
          const found = await runtime.users.getByIdOrEmail(reference);
          const deleted = await runtime.auditedUsers.delete(found.id, consoleTrail(runtime));
          output(io, options.json === true, deleted, () =>
            [
              `Deleted user ${deleted.user.id} <${deleted.user.email}> (${deleted.user.role})`,
              `Revoked tokens: ${String(deleted.revokedTokens)}; ended sessions: ${String(deleted.endedSessions)}`,
            ].join("\n"),
          );
        });
      }),
    );
}

/** Exactly one of `--email` and `--id`; an `--id` is never read as an address and vice versa. */
function userReference(options: DeleteOptions): string {
  const { email, id } = options;
  if ((email === undefined) === (id === undefined)) {
    throw invalidInput("UserRequired", "name the user with exactly one of --email or --id");
  }
  if (id !== undefined) {
    if (id.includes("@")) throw invalidInput("InvalidUserId", "--id takes a user id (usr_…); use --email");
    return id;
  }
  if (email?.includes("@") !== true) {
    throw invalidInput("InvalidEmail", "--email takes an e-mail address; use --id for an id");
  }
  return email;
}
