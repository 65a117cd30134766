import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/**
 * Compiles the checkout's src/ (tsconfig.build.json, as `npm run build` does) into `dir`, beside a
 * copy of bin/ and package.json and a link to node_modules, and returns `dir`: a runnable copy of
 * the command. The checkout's own dist/ is never written, and with --noEmitOnError a source tree
 * that does not type-check fails here instead of being measured half-built.
 */
export function buildPrivateCopy(projectRoot: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const tsc = path.join(projectRoot, "node_modules", "typescript", "bin", "tsc");
  const outDir = path.join(dir, "dist");
  const built = spawnSync(
    process.execPath,
    [
      tsc,
      "-p",
      path.join(projectRoot, "tsconfig.build.json"),
      "--outDir",
      outDir,
      "--tsBuildInfoFile",
      path.join(outDir, ".tsbuildinfo"),
      "--noEmitOnError",
    ],
    { cwd: projectRoot, encoding: "utf8", timeout: 300_000 },
  );
  if (built.status !== 0) {
    throw new Error(
      `the build of src/ failed (--skip-build runs the checkout's dist/ as it is):\n${built.stdout}${built.stderr}`,
    );
  }
  fs.cpSync(path.join(projectRoot, "bin"), path.join(dir, "bin"), { recursive: true });
  fs.copyFileSync(path.join(projectRoot, "package.json"), path.join(dir, "package.json"));
  // node_modules, and what the server reads beside dist/ at start (the OpenAPI schemas, its pages).
  for (const folder of ["node_modules", "schemas", "assets"]) {
    fs.symlinkSync(path.join(projectRoot, folder), path.join(dir, folder), "dir");
  }
  return dir;
}
