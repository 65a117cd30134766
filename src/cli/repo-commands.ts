import fs from "node:fs";
import type { Command } from "commander";
import { invalidInput } from "../errors/domain-error.ts";
import type { PublicRepository } from "../sources/repository-service.ts";
import type { SyncRun } from "../storage/database/sync-run-records.ts";
import { CommandFailed, consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";
import { syncProgressBar } from "./sync-progress-bar.ts";

interface AddOptions {
  type: string;
  url: string;
  name?: string;
  credentials?: string;
  sshKey?: string;
  json?: boolean;
}

/** `package-broker repo ...`: git repositories as package sources. */
export function registerRepoCommands(
  program: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  const repo = program.command("repo").description("manage git repositories that provide packages");

  repo
    .command("add")
    .description("add a git repository (https, ssh, or a local path)")
    .requiredOption(
      "--url <url>",
      "repository URL: https://..., ssh://..., git@host:org/repo.git, /path or file:///path",
    )
    .option("--type <type>", "repository type", "git")
    .option("--name <name>", "a unique name (default: from the URL)")
    .option("--credentials <user:token>", "https credentials: username and password or access token")
    .option("--ssh-key <file>", "private deploy key for ssh URLs")
    .option("--json", "print JSON")
    .action((options: AddOptions) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const added = await runtime.auditedRepositories.add(
            {
              type: options.type as "git",
              url: options.url,
              ...(options.name === undefined ? {} : { name: options.name }),
              ...credentialsFrom(options),
            },
            consoleTrail(runtime),
          );
          output(io, options.json === true, added, () => `Added repository ${added.name} (${added.id})`);
        }),
      ),
    );

  repo
    .command("list")
    .description("list repositories")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const repositories = await runtime.repositories.list();
          output(io, options.json === true, repositories, () => repositoryTable(repositories));
        }),
      ),
    );

  repo
    .command("sync <id>")
    .description("fetch the repository and update its package versions; waits until done")
    .option("--json", "print JSON")
    .action((id: string, options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const progress = io.isTerminal && options.json !== true ? syncProgressBar(io.stderr) : undefined;
          const result = await runtime.auditedRepositories.sync(id, consoleTrail(runtime), progress);
          output(io, options.json === true, result, () => syncSummary(result));
          if (result.status === "failed") throw new CommandFailed(1, "the sync failed");
        }),
      ),
    );

  repo
    .command("update <id>")
    .description("change a repository's URL, name or credentials; the next sync uses them")
    .option("--url <url>", "new repository URL")
    .option("--name <name>", "new unique name")
    .option("--credentials <user:token>", "new https credentials")
    .option("--ssh-key <file>", "new private deploy key")
    .option("--no-credentials", "remove the stored credentials")
    .option("--json", "print JSON")
    .action((id: string, options: UpdateOptions) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          // Commander gives `credentials: true` by default because of --no-credentials.
          const credentials =
            options.credentials === false
              ? { credentials: null }
              : credentialsFrom({
                  ...(typeof options.credentials === "string" ? { credentials: options.credentials } : {}),
                  ...(options.sshKey === undefined ? {} : { sshKey: options.sshKey }),
                });
          const updated = await runtime.auditedRepositories.update(
            id,
            {
              ...(options.url === undefined ? {} : { url: options.url }),
              ...(options.name === undefined ? {} : { name: options.name }),
              ...credentials,
            },
            consoleTrail(runtime),
          );
          output(
            io,
            options.json === true,
            updated,
            () => `Updated repository ${updated.name} (${updated.id})`,
          );
        }),
      ),
    );

  repo
    .command("remove <id>")
    .description("remove a repository and the package versions it provided")
    .option("--json", "print JSON")
    .action((id: string, options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const removed = await runtime.auditedRepositories.remove(id, consoleTrail(runtime));
          output(
            io,
            options.json === true,
            removed,
            () => `Removed ${id} and ${removed.removedVersions} version(s)`,
          );
        }),
      ),
    );
}

interface UpdateOptions {
  url?: string;
  name?: string;
  credentials: string | boolean;
  sshKey?: string;
  json?: boolean;
}

function credentialsFrom(options: { credentials?: string; sshKey?: string }): {
  credentials?: { username: string; password: string } | { sshKey: string };
} {
  if (options.credentials !== undefined && options.sshKey !== undefined) {
    throw invalidInput("ConflictingCredentials", "use either --credentials or --ssh-key, not both");
  }
  if (options.credentials !== undefined) {
    const colon = options.credentials.indexOf(":");
    if (colon <= 0 || colon === options.credentials.length - 1) {
      throw invalidInput("InvalidCredentials", "--credentials must be USERNAME:TOKEN");
    }
    return {
      credentials: {
        username: options.credentials.slice(0, colon),
        password: options.credentials.slice(colon + 1),
      },
    };
  }
  if (options.sshKey !== undefined) {
    let key: string;
    try {
      key = fs.readFileSync(options.sshKey, "utf8");
    } catch {
      throw invalidInput("UnreadableSshKey", `cannot read the ssh key file ${options.sshKey}`);
    }
    return { credentials: { sshKey: key } };
  }
  return {};
}

function repositoryTable(repositories: readonly PublicRepository[]): string {
  if (repositories.length === 0) return "No repositories. Add one with: package-broker repo add --url URL";
  return repositories
    .map((r) => `${r.id}  ${r.name}  ${r.status}${r.lastError === null ? "" : ` (${r.lastError})`}  ${r.url}`)
    .join("\n");
}

function syncSummary(run: SyncRun): string {
  if (run.status === "failed") return `Sync failed: ${run.error ?? "unknown error"}`;
  const { added, updated, removed, skipped, moved } = run.details;
  const lines = [
    `Sync finished: ${added.length} added, ${updated.length} updated, ${removed.length} removed, ${skipped.length} skipped`,
    ...added.map((v) => `  + ${v}`),
    ...updated.map((v) => `  ~ ${v}`),
    ...removed.map((v) => `  - ${v}`),
    ...moved.map((m) => `  ! tag ${m.ref} moved from ${m.from.slice(0, 12)} to ${m.to.slice(0, 12)}`),
    ...skipped.map((s) => `  skipped ${s.ref}: ${s.reason}`),
  ];
  return lines.join("\n");
}
