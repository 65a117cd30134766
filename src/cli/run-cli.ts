import { Command, CommanderError } from "commander";
import { prettifyError, ZodError } from "zod";
import { ConfigError } from "../config/load-config.ts";
import { DomainError } from "../errors/domain-error.ts";
import { registerAlertCommands } from "./alert-commands.ts";
import { registerAuditCommands } from "./audit-commands.ts";
import { registerBackupCommands } from "./backup-commands.ts";
import { registerJobCommands } from "./job-commands.ts";
import { CommandFailed, processIo, withRuntime, output, type CliIo } from "./cli-context.ts";
import { registerPackageCommands } from "./package-commands.ts";
import { registerRepoCommands } from "./repo-commands.ts";
import { serveCommand } from "./serve-command.ts";
import { registerSettingsCommands } from "./settings-commands.ts";
import { registerTokenCommands } from "./token-commands.ts";
import { registerUserCommands } from "./user-commands.ts";

/**
 * The `package-broker` command. Returns the exit code: 0 success, 1 the operation failed,
 * 2 bad usage or configuration.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  const run = async (work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      exitCode = reportError(io, error);
    }
  };
  const program = new Command("package-broker")
    .description("PACKAGE.broker: a private Composer repository with a verifiable audit trail")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();

  program
    .command("serve")
    .description("start the HTTP server (what `npm start` runs)")
    .action(() =>
      run(async () => {
        exitCode = await serveCommand(io);
      }),
    );

  program
    .command("migrate")
    .description("apply pending database migrations")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, (runtime) => {
          const applied = runtime.migrations.applied;
          output(io, options.json === true, { applied }, () =>
            applied.length === 0 ? "The database is up to date." : `Applied: ${applied.join(", ")}`,
          );
          return Promise.resolve();
        }),
      ),
    );

  registerRepoCommands(program, io, run);
  registerTokenCommands(program, io, run);
  registerUserCommands(program, io, run);
  registerPackageCommands(program, io, run);
  registerAuditCommands(program, io, run);
  registerSettingsCommands(program, io, run);
  registerAlertCommands(program, io, run);
  registerBackupCommands(program, io, run);
  registerJobCommands(program, io, run);

  try {
    await program.parseAsync([...argv], { from: "node" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return reportError(io, error);
  }
  return exitCode;
}

function reportError(io: CliIo, error: unknown): number {
  if (error instanceof CommandFailed) return error.exitCode;
  if (error instanceof ConfigError) {
    io.stderr(`${error.message}\n`);
    return 2;
  }
  if (error instanceof DomainError) {
    io.stderr(`error: ${error.message} [${error.code}]\n`);
    return error.kind === "invalid" ? 2 : 1;
  }
  if (error instanceof ZodError) {
    io.stderr(`error: invalid input\n${prettifyError(error)}\n`);
    return 2;
  }
  io.stderr(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}
