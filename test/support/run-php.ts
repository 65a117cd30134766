import { spawnSync } from "node:child_process";
import fs from "node:fs";

export const COMPOSER_LIBRARIES = "/usr/share/php";

/** True when `php` and Composer's Debian-packaged libraries are installed. */
export function phpLibraryAvailable(relativePath: string): boolean {
  const php = spawnSync("php", ["--version"], { encoding: "utf8" });
  return php.status === 0 && fs.existsSync(`${COMPOSER_LIBRARIES}/${relativePath}`);
}

/**
 * Runs a PHP script with `input` as JSON on stdin and returns its stdout parsed as JSON. The
 * script reads `json_decode(stream_get_contents(STDIN), true)`.
 */
export function runPhpJson<T>(script: string, input: unknown): T {
  const result = spawnSync("php", ["-d", "error_reporting=E_ALL", "-r", script], {
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`php exited with ${String(result.status)}: ${result.stderr}${result.stdout}`);
  }
  return JSON.parse(result.stdout) as T;
}
