import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { requireComponent } from "../support/required-component.ts";
import { REPO_ROOT } from "./deploy-files.ts";

/** Whether `command --version` runs. */
function installed(command: string): boolean {
  return spawnSync(command, ["--version"], { encoding: "utf8" }).status === 0;
}

/** Every shell script under deploy/. */
function shellScripts(directory = path.join(REPO_ROOT, "deploy")): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return shellScripts(full);
    return entry.name.endsWith(".sh") ? [full] : [];
  });
}

const compose = requireComponent(
  "docker-compose",
  installed("docker-compose"),
  "apt-get install docker-compose (the client alone: no engine is needed for `config`)",
);
const shellcheck = requireComponent("shellcheck", installed("shellcheck"), "apt-get install shellcheck");

describe("the deployment files pass their own tools", () => {
  it.runIf(compose)("docker-compose config accepts deploy/docker-compose.yml with the example .env", () => {
    const result = spawnSync(
      "docker-compose",
      ["-f", "deploy/docker-compose.yml", "--env-file", "deploy/.env.example", "config", "--quiet"],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it.runIf(shellcheck)("shellcheck finds nothing in the shell scripts", () => {
    const scripts = shellScripts();
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    const result = spawnSync("shellcheck", ["--shell=sh", ...scripts], { encoding: "utf8" });
    expect(result.stdout).toBe("");
    expect(result.status).toBe(0);
  });
});
