import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { run, type Cleanup } from "../metadata-throughput/processes.ts";

export interface ComposerProjectSpec {
  /** The one Composer repository the project uses (packagist.org is disabled). */
  readonly repositoryUrl: string;
  readonly require: Readonly<Record<string, string>>;
  /** Written as the project's auth.json (http-basic for the repository's host:port). */
  readonly token?: string;
  /** A composer.lock to install from; without one, `composer install` resolves. */
  readonly lock?: string;
}

/** Writes composer.json (and auth.json, composer.lock) of a consumer project into a new `dir`. */
export function writeComposerProject(dir: string, spec: ComposerProjectSpec): void {
  fs.mkdirSync(dir, { recursive: true });
  const composerJson = {
    name: "bench/consumer",
    description: "Consumer project of the composer proxy install benchmark",
    repositories: [{ type: "composer", url: spec.repositoryUrl }, { "packagist.org": false }],
    require: spec.require,
    config: { "secure-http": false },
  };
  fs.writeFileSync(path.join(dir, "composer.json"), `${JSON.stringify(composerJson, null, 4)}\n`);
  if (spec.token !== undefined) {
    const hostPort = new URL(spec.repositoryUrl).host;
    const auth = { "http-basic": { [hostPort]: { username: "token", password: spec.token } } };
    fs.writeFileSync(path.join(dir, "auth.json"), `${JSON.stringify(auth, null, 4)}\n`);
  }
  if (spec.lock !== undefined) fs.writeFileSync(path.join(dir, "composer.lock"), spec.lock);
}

export interface ComposerRunResult {
  readonly wallMs: number;
  /** stdout and stderr of composer. */
  readonly output: string;
  /** Packages in vendor/composer/installed.json afterwards. */
  readonly installed: number;
}

/**
 * Runs the real `composer` client in `dir` with a fresh, empty COMPOSER_HOME and
 * COMPOSER_CACHE_DIR (beside the project) and no vendor/, and measures its wall time: from
 * spawning the process to its exit. A non-zero exit or the time limit throws with the output.
 */
export async function runComposer(
  cleanup: Cleanup,
  dir: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<ComposerRunResult> {
  const home = path.join(dir, ".composer-home");
  const cache = path.join(dir, ".composer-cache");
  for (const fresh of [home, cache, path.join(dir, "vendor")])
    fs.rmSync(fresh, { recursive: true, force: true });
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(cache, { recursive: true });
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    COMPOSER_HOME: home,
    COMPOSER_CACHE_DIR: cache,
    COMPOSER_NO_INTERACTION: "1",
    COMPOSER_ALLOW_SUPERUSER: "1",
    COMPOSER_NO_AUDIT: "1",
  };
  const started = performance.now();
  const { stdout, stderr } = await run(
    cleanup,
    "composer",
    [...args, "--no-interaction", "--no-progress", "--no-ansi"],
    { cwd: dir, env, timeoutMs },
  );
  const wallMs = performance.now() - started;
  return { wallMs, output: `${stdout}${stderr}`, installed: installedCount(dir) };
}

function installedCount(dir: string): number {
  const file = path.join(dir, "vendor", "composer", "installed.json");
  if (!fs.existsSync(file)) return 0;
  const data = JSON.parse(fs.readFileSync(file, "utf8")) as { packages?: unknown[] };
  return data.packages?.length ?? 0;
}

export interface LockedPackage {
  readonly version: string;
  readonly reference: string;
  readonly distUrl: string;
}

/** name -> version, dist reference and URL, from a composer.lock's text. */
export function lockedPackages(lock: string): Map<string, LockedPackage> {
  const data = JSON.parse(lock) as {
    packages: { name: string; version: string; dist?: { reference?: string; url?: string } }[];
  };
  return new Map(
    data.packages.map((p) => [
      p.name,
      { version: p.version, reference: p.dist?.reference ?? "", distUrl: p.dist?.url ?? "" },
    ]),
  );
}

export function composerVersion(): string {
  const result = spawnSync("composer", ["--version", "--no-ansi"], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, COMPOSER_ALLOW_SUPERUSER: "1", HOME: "/nonexistent" },
  });
  return /Composer version (\S+)/.exec(`${result.stdout}${result.stderr}`)?.[1] ?? "unknown";
}

export function phpVersion(): string {
  const result = spawnSync("php", ["-r", "echo PHP_VERSION;"], { encoding: "utf8" });
  return result.stdout.trim() || "unknown";
}
