import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pool, run, type Cleanup } from "./processes.ts";

export const VENDOR = "bench";
const TAGS = ["1.0.0", "1.1.0", "1.2.0", "2.0.0"] as const;

/** The package names of a fixture of `count` packages: bench/pkg001 .. bench/pkgNNN. */
export function packageNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${VENDOR}/pkg${String(i + 1).padStart(3, "0")}`);
}

/**
 * Creates `count` git repositories shaped like the Composer client lab's synthetic packages: tags
 * v1.0.0, v1.1.0, v1.2.0, v2.0.0, branch main (default, with a branch-alias) and develop. Package
 * k (k >= 2) requires bench/pkg(k/2) ^1.0. Commit dates are fixed, so the SHAs (and therefore the
 * metadata) are the same on every run. Returns the repository folders.
 */
export function createGitRepositories(root: string, count: number): string[] {
  return packageNames(count).map((name, index) => {
    const k = index + 1;
    const dir = path.join(root, name);
    const dependency = k >= 2 ? packageNames(count)[Math.floor(k / 2) - 1] : undefined;
    const repo = new ScriptedRepository(dir);
    const write = (version: string, branchAlias?: string): void => {
      writePackageFiles(dir, name, k, version, dependency, branchAlias);
    };
    TAGS.forEach((tag, i) => {
      write(tag);
      repo.commit(`release ${tag}`, `2024-01-${String(i + 1).padStart(2, "0")}T12:00:00Z`);
      repo.git("tag", `v${tag}`);
    });
    write("dev-main", "2.x-dev");
    repo.commit("work on main", "2024-02-01T12:00:00Z");
    repo.git("checkout", "--quiet", "-b", "develop");
    write("dev-develop");
    repo.commit("work on develop", "2024-02-02T12:00:00Z");
    repo.git("checkout", "--quiet", "main");
    return dir;
  });
}

function writePackageFiles(
  dir: string,
  name: string,
  k: number,
  version: string,
  dependency: string | undefined,
  branchAlias: string | undefined,
): void {
  const namespace = `Bench\\Pkg${String(k).padStart(3, "0")}`;
  const composerJson = {
    name,
    description: `Synthetic package ${name} for the metadata throughput benchmark`,
    type: "library",
    license: "MIT",
    authors: [{ name: "Bench", email: "bench@example.invalid" }],
    require: { php: ">=7.4", ...(dependency === undefined ? {} : { [dependency]: "^1.0" }) },
    autoload: { "psr-4": { [`${namespace}\\`]: "src/" } },
    ...(branchAlias === undefined ? {} : { extra: { "branch-alias": { "dev-main": branchAlias } } }),
  };
  fs.mkdirSync(path.join(dir, "src"), { recursive: true });
  fs.writeFileSync(path.join(dir, "composer.json"), `${JSON.stringify(composerJson, null, 4)}\n`);
  fs.writeFileSync(
    path.join(dir, "src", "Info.php"),
    `<?php\nnamespace ${namespace};\n\nfinal class Info\n{\n    public const VERSION = '${version}';\n}\n`,
  );
}

class ScriptedRepository {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    fs.mkdirSync(dir, { recursive: true });
    this.git("init", "--quiet", "--initial-branch", "main");
  }

  git(...args: string[]): void {
    this.#exec(args, "2024-01-01T00:00:00Z");
  }

  commit(message: string, date: string): void {
    this.#exec(["add", "--all"], date);
    this.#exec(["commit", "--quiet", "-m", message], date);
  }

  #exec(args: string[], date: string): void {
    execFileSync("git", args, {
      cwd: this.#dir,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        PATH: process.env.PATH,
        HOME: this.#dir,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_AUTHOR_NAME: "Bench",
        GIT_AUTHOR_EMAIL: "bench@example.invalid",
        GIT_COMMITTER_NAME: "Bench",
        GIT_COMMITTER_EMAIL: "bench@example.invalid",
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
      },
    });
  }
}

export interface BrokerCli {
  /** Runs `node bin/package-broker.js ARGS --json` and parses what it prints. */
  json<T>(args: readonly string[]): Promise<T>;
}

export function brokerCli(cleanup: Cleanup, projectRoot: string, env: NodeJS.ProcessEnv): BrokerCli {
  const bin = path.join(projectRoot, "bin", "package-broker.js");
  return {
    json: async <T>(args: readonly string[]): Promise<T> => {
      const { stdout } = await run(cleanup, process.execPath, [bin, ...args, "--json"], {
        env,
        cwd: projectRoot,
        timeoutMs: 120_000,
      });
      return JSON.parse(stdout) as T;
    },
  };
}

interface AddedRepository {
  readonly id: string;
  readonly name: string;
}

interface SyncResult {
  readonly status: string;
  readonly error: string | null;
  readonly details: { readonly added: readonly string[]; readonly skipped: readonly unknown[] };
}

/**
 * Registers every repository with `repo add` and syncs it with `repo sync` (through the real CLI,
 * `concurrency` at a time). Returns the number of versions added.
 */
export async function addAndSync(cli: BrokerCli, repositories: readonly string[], concurrency: number) {
  // Create the database first: two commands migrating a fresh database at once collide.
  await cli.json(["migrate"]);
  const added = await pool(repositories, concurrency, async (dir) => {
    const repo = await cli.json<AddedRepository>(["repo", "add", "--url", dir, "--name", path.basename(dir)]);
    const result = await cli.json<SyncResult>(["repo", "sync", repo.id]);
    if (result.status === "failed") throw new Error(`sync of ${dir} failed: ${result.error ?? "?"}`);
    if (result.details.skipped.length > 0) {
      throw new Error(`sync of ${dir} skipped refs: ${JSON.stringify(result.details.skipped)}`);
    }
    return result.details.added.length;
  });
  return added.reduce((sum, n) => sum + n, 0);
}

/** `token create`: a read token for every package. */
export async function createReadToken(cli: BrokerCli): Promise<string> {
  const created = await cli.json<{ token: string }>([
    "token",
    "create",
    "--description",
    "metadata throughput benchmark",
  ]);
  return created.token;
}
