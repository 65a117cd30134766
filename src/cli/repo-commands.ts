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
  bearerToken?: string;
  authHeader?: string;
  packages?: string[];
  eager?: string[];
  json?: boolean;
}

/** `package-broker repo ...`: git repositories as package sources. */
export function registerRepoCommands(
  program: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  const repo = program
    .command("repo")
    .description("manage the repositories that provide packages: git repositories and composer upstreams");

  repo
    .command("add")
    .description(
      "add a git repository (https, ssh, or a local path) or, with --type composer, a Composer v2 repository to proxy",
    )
    .requiredOption(
      "--url <url>",
      "repository URL: https://..., ssh://..., git@host:org/repo.git, /path or file:///path (composer: https://...)",
    )
    .option("--type <type>", "repository type: git or composer", "git")
    .option("--name <name>", "a unique name (default: from the URL)")
    .option(
      "--credentials <user:token>",
      "username and password or access token (git: https; composer: HTTP Basic)",
    )
    .option("--ssh-key <file>", "private deploy key for ssh URLs")
    .option("--bearer-token <token>", "composer: send Authorization: Bearer TOKEN to the upstream")
    .option("--auth-header <header>", 'composer: send this header to the upstream ("Name: value")')
    .option(
      "--packages <pattern...>",
      "composer: package patterns the upstream may provide, e.g. 'vendor/*' (default: any)",
    )
    .option(
      "--eager <pattern...>",
      "composer: packages `repo sync` mirrors ahead of time (names or 'vendor/*'; default: none, lazy only)",
    )
    .option("--json", "print JSON")
    .action((options: AddOptions) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const added = await runtime.auditedRepositories.add(
            {
              type: options.type as "git",
              url: options.url,
              ...(options.name === undefined ? {} : { name: options.name }),
              ...(options.packages === undefined ? {} : { packages: options.packages }),
              ...(options.eager === undefined ? {} : { eagerPackages: options.eager }),
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
    .description(
      "fetch the repository and update its package versions (a composer upstream: mirror its eager packages); waits until done",
    )
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
    .option("--bearer-token <token>", "composer: new Bearer token")
    .option("--auth-header <header>", 'composer: new custom header ("Name: value")')
    .option("--packages <pattern...>", "composer: new package patterns")
    .option("--eager <pattern...>", "composer: new eager packages, mirrored by `repo sync`")
    .option("--no-eager", "composer: no eager packages (lazy only)")
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
                  ...(options.bearerToken === undefined ? {} : { bearerToken: options.bearerToken }),
                  ...(options.authHeader === undefined ? {} : { authHeader: options.authHeader }),
                });
          const updated = await runtime.auditedRepositories.update(
            id,
            {
              ...(options.url === undefined ? {} : { url: options.url }),
              ...(options.name === undefined ? {} : { name: options.name }),
              ...(options.packages === undefined ? {} : { packages: options.packages }),
              ...eagerFrom(options.eager),
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
  bearerToken?: string;
  authHeader?: string;
  packages?: string[];
  /** Commander gives `true` by default because of --no-eager. */
  eager: string[] | boolean;
  json?: boolean;
}

function eagerFrom(eager: string[] | boolean): { eagerPackages?: string[] } {
  if (eager === false) return { eagerPackages: [] };
  return Array.isArray(eager) ? { eagerPackages: eager } : {};
}

type CredentialsInput =
  | { username: string; password: string }
  | { sshKey: string }
  | { token: string }
  | { header: string; value: string };

function credentialsFrom(options: {
  credentials?: string;
  sshKey?: string;
  bearerToken?: string;
  authHeader?: string;
}): { credentials?: CredentialsInput } {
  const given = [options.credentials, options.sshKey, options.bearerToken, options.authHeader];
  if (given.filter((value) => value !== undefined).length > 1) {
    throw invalidInput(
      "ConflictingCredentials",
      "use only one of --credentials, --ssh-key, --bearer-token and --auth-header",
    );
  }
  if (options.bearerToken !== undefined) return { credentials: { token: options.bearerToken } };
  if (options.authHeader !== undefined) {
    const colon = options.authHeader.indexOf(":");
    if (colon <= 0) throw invalidInput("InvalidCredentials", '--auth-header must be "Name: value"');
    return {
      credentials: {
        header: options.authHeader.slice(0, colon).trim(),
        value: options.authHeader.slice(colon + 1).trim(),
      },
    };
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
    .map(
      (r) =>
        `${r.id}  ${r.name}  ${r.type}  ${r.status}${r.lastError === null ? "" : ` (${r.lastError})`}  ${r.url}`,
    )
    .join("\n");
}

function syncSummary(run: SyncRun): string {
  const upstream = run.details.upstream;
  if (upstream !== undefined) {
    const { packages, versions, dists } = upstream;
    return [
      `${run.status === "failed" ? "Sync failed" : "Sync finished"} (${upstream.mode}): packages ${packages.fetched} fetched, ${packages.unchanged} unchanged, ${packages.failed} failed, ${packages.gone} gone; versions ${versions.new} new; dists ${dists.fetched} fetched, ${dists.unchanged} unchanged, ${dists.failed} failed`,
      ...(upstream.feedError === null ? [] : [`  change feed not used: ${upstream.feedError}`]),
      ...upstream.failures.map((f) => `  failed ${f.package}: ${f.reason}`),
    ].join("\n");
  }
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
