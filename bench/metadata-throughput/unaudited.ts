import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { run, type Cleanup } from "./processes.ts";

/**
 * The broker without the audit log, to measure what auditing costs: there is deliberately no
 * switch to turn auditing off, so "off" is an older build, from before the audit log was wired
 * into requests (commit 15d6a6d).
 *
 * `spec` is either a folder holding a built copy (bin/package-broker.js and dist/, e.g. a
 * `git worktree` where `npm ci` ran) or a git ref: then a worktree of that ref is added in the temp
 * dir, `npm ci` builds it (its `prepare` script runs tsc), and the worktree is removed when the
 * benchmark ends. Returns the folder to run.
 */
export async function prepareUnaudited(
  spec: string,
  projectRoot: string,
  tmp: string,
  cleanup: Cleanup,
  log: (message: string) => void,
): Promise<string> {
  if (isBuiltCopy(spec)) return path.resolve(spec);
  if (fs.existsSync(spec))
    throw new Error(`--unaudited ${spec}: no bin/package-broker.js with a built dist/`);
  const { stdout } = await run(cleanup, "git", [
    "-C",
    projectRoot,
    "rev-parse",
    "--verify",
    `${spec}^{commit}`,
  ]);
  const commit = stdout.trim();
  const dir = path.join(tmp, "unaudited");
  await run(cleanup, "git", ["-C", projectRoot, "worktree", "add", "--detach", dir, commit]);
  cleanup.beforeRemovingDirs(() => {
    const removed = spawnSync("git", ["-C", projectRoot, "worktree", "remove", "--force", dir], {
      encoding: "utf8",
    });
    if (removed.status !== 0) throw new Error(`git worktree remove ${dir}: ${removed.stderr}`);
  });
  log(`worktree of ${spec} (${commit.slice(0, 12)}) added at ${dir}; npm ci (builds it) ...`);
  const started = performance.now();
  // better-sqlite3 compiles against this Node's headers when no prebuilt binary fits.
  const nodeDir = path.resolve(path.dirname(process.execPath), "..");
  const env = {
    ...process.env,
    ...(fs.existsSync(path.join(nodeDir, "include", "node")) ? { npm_config_nodedir: nodeDir } : {}),
  };
  await run(cleanup, "npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, env, timeoutMs: 900_000 });
  if (!isBuiltCopy(dir)) await run(cleanup, "npm", ["run", "build"], { cwd: dir, env, timeoutMs: 300_000 });
  log(`unaudited broker built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

function isBuiltCopy(dir: string): boolean {
  return (
    fs.existsSync(path.join(dir, "bin", "package-broker.js")) &&
    fs.existsSync(path.join(dir, "dist", "cli", "run-cli.js"))
  );
}
