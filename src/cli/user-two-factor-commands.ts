import type { Command } from "commander";
import { normaliseEmail } from "../access/email-address.ts";
import { notFound } from "../errors/domain-error.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";

/**
 * `package-broker user reset-2fa --email E`: an admin's reset of someone's two-factor
 * authentication (a lost phone and lost recovery codes), recorded as the `console` actor.
 */
export function registerUserTwoFactorCommands(
  user: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  user
    .command("reset-2fa")
    .description("turn a user's 2FA off and end their sessions (they enrol again when 2FA is required)")
    .requiredOption("--email <address>", "the user's e-mail address")
    .option("--json", "print JSON")
    .action((options: { email: string; json?: boolean }) =>
      run(async () => {
        const email = normaliseEmail(options.email);
        await withRuntime(io, async (runtime) => {
          const target = (await runtime.users.list()).find((candidate) => candidate.email === email);
          if (target === undefined) throw notFound("UserNotFound", "no user has this e-mail address");
          const { sessionsEnded } = await runtime.twoFactor.resetTwoFactor(target.id, consoleTrail(runtime));
          output(io, options.json === true, { user: target.id, sessionsEnded }, () =>
            [
              `Two-factor authentication of ${target.id} <${email}> was reset;`,
              `${String(sessionsEnded)} session(s) ended.`,
            ].join(" "),
          );
        });
      }),
    );
}
