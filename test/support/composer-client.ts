import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export function composerAvailable(): boolean {
  const result = spawnSync("composer", ["--version"], {
    encoding: "utf8",
    env: { ...process.env, COMPOSER_ALLOW_SUPERUSER: "1" },
  });
  return result.status === 0;
}

const QUIET = ["--no-interaction", "--no-progress", "--no-ansi"];

export interface ComposerRun {
  readonly status: number;
  readonly output: string;
}

/** A PHP project that installs from the broker with the real `composer` client. */
export class ComposerProject {
  readonly dir: string;
  readonly home: string;
  readonly cacheDir: string;
  #auth: object = {};

  constructor(dir: string, repositoryUrl: string, require: Record<string, string>, extra: object = {}) {
    this.dir = dir;
    this.home = path.join(dir, ".composer-home");
    this.cacheDir = path.join(dir, ".composer-cache");
    fs.mkdirSync(this.home, { recursive: true });
    const composerJson = {
      name: "test/consumer",
      repositories: [{ type: "composer", url: repositoryUrl }, { "packagist.org": false }],
      require,
      config: { "secure-http": false },
      ...extra,
    };
    fs.writeFileSync(path.join(dir, "composer.json"), JSON.stringify(composerJson, null, 2));
  }

  useBasicToken(hostAndPort: string, token: string): void {
    this.#auth = { "http-basic": { [hostAndPort]: { username: "token", password: token } } };
  }

  useBearerToken(hostAndPort: string, token: string): void {
    this.#auth = { bearer: { [hostAndPort]: token } };
  }

  run(...args: string[]): ComposerRun {
    const result = spawnSync("composer", [...args, ...QUIET], {
      cwd: this.dir,
      encoding: "utf8",
      timeout: 180_000,
      env: this.#env(),
    });
    return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
  }

  /** `run` without blocking the event loop: for tests whose servers live in the test process. */
  runAsync(...args: string[]): Promise<ComposerRun> {
    return new Promise((resolve) => {
      const child = spawn("composer", [...args, ...QUIET], {
        cwd: this.dir,
        env: this.#env(),
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 180_000,
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      child.on("close", (code) => {
        resolve({ status: code ?? -1, output });
      });
    });
  }

  #env(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: this.home,
      COMPOSER_HOME: this.home,
      COMPOSER_CACHE_DIR: this.cacheDir,
      COMPOSER_ALLOW_SUPERUSER: "1",
      COMPOSER_AUTH: JSON.stringify(this.#auth),
      COMPOSER_NO_AUDIT: "1",
    };
  }

  /** name -> { version, source } from vendor/composer/installed.json. */
  installed(): Map<string, { version: string; installationSource: string }> {
    const file = path.join(this.dir, "vendor/composer/installed.json");
    const data = JSON.parse(fs.readFileSync(file, "utf8")) as {
      packages: { name: string; version: string; "installation-source": string }[];
    };
    return new Map(
      data.packages.map((p) => [
        p.name,
        { version: p.version, installationSource: p["installation-source"] },
      ]),
    );
  }

  clearVendorAndCache(): void {
    fs.rmSync(path.join(this.dir, "vendor"), { recursive: true, force: true });
    fs.rmSync(this.cacheDir, { recursive: true, force: true });
  }
}
