import type { Command } from "commander";
import type { TokenScope } from "../access/token-scope.ts";
import type { PublicToken } from "../access/token-service.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";
import { parseExpiry } from "./parse-duration.ts";

interface CreateOptions {
  description: string;
  scope: string[];
  packages: string[];
  expires?: string;
  user?: string;
  json?: boolean;
}

/** `package-broker token ...`: access tokens for Composer and the API. */
export function registerTokenCommands(
  program: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  const token = program.command("token").description("manage access tokens");
  const collect = (value: string, previous: string[]): string[] => [
    ...previous,
    ...value.split(",").filter(Boolean),
  ];

  token
    .command("create")
    .description("create a token; its secret is shown once")
    .requiredOption("--description <text>", "what the token is for")
    .option("--scope <scope>", "read, write or admin (repeatable; default read)", collect, [])
    .option(
      "--packages <patterns>",
      "package patterns the token may see, e.g. 'acme/*' (repeatable)",
      collect,
      [],
    )
    .option("--expires <when>", "expiry: 30d, 12h, 2w, 1y or a date")
    .option(
      "--user <email-or-id>",
      "make it a personal token of this user: it never allows more than their role, and stops working while they are blocked or deleted",
    )
    .option("--json", "print JSON")
    .action((options: CreateOptions) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const owner =
            options.user === undefined ? undefined : await runtime.users.getByIdOrEmail(options.user);
          const created = await runtime.auditedTokens.create(
            {
              description: options.description,
              ...(owner === undefined ? {} : { ownerId: owner.id }),
              ...(options.scope.length === 0 ? {} : { scopes: options.scope as TokenScope[] }),
              packagePatterns: options.packages,
              ...(options.expires === undefined
                ? {}
                : { expiresAt: parseExpiry(options.expires, runtime.clock.now()) }),
            },
            consoleTrail(runtime),
          );
          output(io, options.json === true, { ...created.record, token: created.token }, () =>
            [
              `Created token ${created.record.id} (${created.record.fingerprint})` +
                (owner === undefined ? "" : ` for ${owner.email}, limited to the ${owner.role} role`),
              "",
              `  ${created.token}`,
              "",
              "Store it now: it is not shown again.",
            ].join("\n"),
          );
        }),
      ),
    );

  token
    .command("list")
    .description("list tokens (never their secrets)")
    .option(
      "--user <email-or-id>",
      "only the personal tokens of this user (by id also those of a deleted user)",
    )
    .option("--json", "print JSON")
    .action((options: { user?: string; json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          // An id is used as it is: a deleted user's revoked tokens stay listed under their id.
          const reference = options.user;
          const ownerId =
            reference?.includes("@") === true
              ? (await runtime.users.getByIdOrEmail(reference)).id
              : reference;
          const tokens = await runtime.tokens.list(ownerId === undefined ? {} : { ownerId });
          output(io, options.json === true, tokens, () => tokenTable(tokens));
        }),
      ),
    );

  token
    .command("revoke <id>")
    .description("revoke a token; it is refused from its next request on")
    .option("--json", "print JSON")
    .action((id: string, options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const revoked = await runtime.auditedTokens.revoke(id, consoleTrail(runtime));
          output(
            io,
            options.json === true,
            revoked,
            () => `Revoked token ${revoked.id} (${revoked.fingerprint})`,
          );
        }),
      ),
    );
}

function tokenTable(tokens: readonly PublicToken[]): string {
  if (tokens.length === 0)
    return "No tokens. Create one with: package-broker token create --description TEXT";
  return tokens
    .map((t) => {
      const state =
        t.revokedAt !== null ? "revoked" : t.expiresAt !== null ? `expires ${t.expiresAt}` : "active";
      const packages = t.packagePatterns.length === 0 ? "all packages" : t.packagePatterns.join(",");
      const owner = t.owner === null ? "no owner" : `owner ${t.owner.id}`;
      return `${t.id}  ${t.fingerprint}  [${t.scopes.join(",")}]  ${packages}  ${owner}  ${state}  ${t.description}`;
    })
    .join("\n");
}
