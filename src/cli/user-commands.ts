import type { Command } from "commander";
import { userRoles } from "../access/user-role.ts";
import type { PublicUser } from "../access/user-service.ts";
import { invalidInput } from "../errors/domain-error.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";
import { registerUserDeleteCommand } from "./user-delete-command.ts";
import { registerUserLinkCommands } from "./user-link-commands.ts";
import { registerUserTwoFactorCommands } from "./user-two-factor-commands.ts";
import { textTable } from "./text-table.ts";

interface CreateOptions {
  email: string;
  role: string;
  name?: string;
  passwordStdin?: boolean;
  json?: boolean;
}

/** `package-broker user ...`: the people who sign in, and their roles. */
export function registerUserCommands(
  program: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  const user = program.command("user").description("manage users and their roles");
  registerUserLinkCommands(user, io, run);
  registerUserTwoFactorCommands(user, io, run);
  registerUserDeleteCommand(user, io, run);

  user
    .command("create")
    .description("create a user (the first admin, for one)")
    .requiredOption("--email <address>", "the e-mail address they sign in with")
    .requiredOption("--role <role>", `one of ${userRoles.join(", ")}`)
    .option("--name <name>", "display name")
    .option("--password-stdin", "read the password from standard input (one line)")
    .option("--json", "print JSON")
    .action((options: CreateOptions) =>
      run(async () => {
        // Read before the database opens: a closed or empty stdin is an error of the call.
        const password = options.passwordStdin === true ? await readPassword(io) : undefined;
        await withRuntime(io, async (runtime) => {
          const created = await runtime.auditedUsers.create(
            {
              email: options.email,
              role: options.role,
              ...(options.name === undefined ? {} : { name: options.name }),
              ...(password === undefined ? {} : { password }),
            },
            consoleTrail(runtime),
          );
          output(io, options.json === true, created, () =>
            [
              `Created user ${created.id} <${created.email}> with role ${created.role}`,
              created.passwordSet
                ? ""
                : `No password set: send them a link to choose one: package-broker user reset-password --id ${created.id}`,
            ]
              .filter(Boolean)
              .join("\n"),
          );
        });
      }),
    );

  user
    .command("list")
    .description("list users (never their passwords or 2FA secrets)")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const users = await runtime.users.list();
          output(io, options.json === true, users, () => userTable(users));
        }),
      ),
    );
}

/** The first line of standard input, without its line ending (a password may contain spaces). */
async function readPassword(io: CliIo): Promise<string> {
  if (io.readStdin === undefined) throw invalidInput("NoStdin", "--password-stdin needs standard input");
  const text = await io.readStdin();
  const line = text.split(/\r?\n/, 1)[0] ?? "";
  if (line === "") {
    throw invalidInput("EmptyPassword", '--password-stdin read no password (pipe it in: echo "$PW" | ...)');
  }
  return line;
}

function userTable(users: readonly PublicUser[]): string {
  if (users.length === 0)
    return "No users yet. Create the first admin: package-broker user create --email E --role admin --password-stdin";
  const rows = [
    ["ID", "E-MAIL", "ROLE", "STATUS", "2FA", "CREATED"],
    ...users.map((u) => [u.id, u.email, u.role, u.status, u.twoFactor ? "on" : "off", u.createdAt]),
  ];
  return textTable(rows);
}
