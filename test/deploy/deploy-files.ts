import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { configSchema } from "../../src/config/config-schema.ts";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const DEPLOY_DIR = path.join(REPO_ROOT, "deploy");
export const CHART_DIR = path.join(DEPLOY_DIR, "helm/package-broker");

/** The text of a file under the repository root. */
export function readRepoFile(relative: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, relative), "utf8");
}

/** A YAML file under the repository root, parsed with merge keys (`<<: *anchor`) resolved. */
export function readRepoYaml<T>(relative: string): T {
  return parse(readRepoFile(relative), { merge: true }) as T;
}

/** Every PB_* variable the server reads. */
export function knownSettings(): Set<string> {
  return new Set(Object.keys(configSchema.shape));
}

/** Variables the image's entry point reads besides the PB_* settings. */
export const ENTRYPOINT_VARIABLES = [
  "PACKAGE_BROKER_BIN",
  "PACKAGE_BROKER_SKIP_MIGRATE",
  "PACKAGE_BROKER_ALLOW_ROOT",
  "MIGRATION_DATABASE_URL",
];
