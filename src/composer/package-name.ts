import { invalidInput } from "../errors/domain-error.ts";

/** Packagist's limit; also keeps hostile input cheap to reject. */
export const MAX_PACKAGE_NAME_LENGTH = 255;

/**
 * Composer's rule (ValidatingArrayLoader::hasPackageNamingError, Composer 2.5):
 * `^[a-z0-9](?:[_.-]?[a-z0-9]++)*+/[a-z0-9](?:(?:[_.]|-{1,2})?[a-z0-9]++)*+$`, here lowercase only.
 * Rewritten without nested optional quantifiers so that it cannot backtrack exponentially: each part
 * is runs of [a-z0-9] joined by single separators (the project part also allows `--`).
 */
const VENDOR = "[a-z0-9]+(?:[_.-][a-z0-9]+)*";
const PROJECT = "[a-z0-9]+(?:(?:[_.]|--?)[a-z0-9]+)*";
const PACKAGE_NAME = new RegExp(`^(${VENDOR})/(${PROJECT})$`);

/** Windows device names; Composer refuses them as vendor or project. */
const RESERVED = new Set([
  "nul",
  "con",
  "prn",
  "aux",
  "com1",
  "com2",
  "com3",
  "com4",
  "com5",
  "com6",
  "com7",
  "com8",
  "com9",
  "lpt1",
  "lpt2",
  "lpt3",
  "lpt4",
  "lpt5",
  "lpt6",
  "lpt7",
  "lpt8",
  "lpt9",
]);

export interface PackageName {
  vendor: string;
  project: string;
}

function match(name: string): PackageName | string {
  if (name.length === 0) return "it is empty";
  if (name.length > MAX_PACKAGE_NAME_LENGTH) {
    return `it is longer than ${MAX_PACKAGE_NAME_LENGTH} characters`;
  }
  const m = PACKAGE_NAME.exec(name);
  if (m === null) {
    return (
      "it should be a vendor name, a forward slash and a project name, in lowercase; the vendor and project " +
      "names are words of a-z and 0-9 separated by -, . or _"
    );
  }
  const [, vendor = "", project = ""] = m;
  if (RESERVED.has(vendor) || RESERVED.has(project)) {
    return "vendor and project names can not be a reserved device name (nul, con, prn, aux, com1-9, lpt1-9)";
  }
  if (project.endsWith(".json")) return "package names can not end in .json";
  return { vendor, project };
}

/** True when `name` is a valid, lowercase Composer package name (`vendor/project`). */
export function isValidPackageName(name: string): boolean {
  return typeof match(name) !== "string";
}

/** Splits a valid package name; throws `invalid`/`InvalidPackageName` otherwise. */
export function parsePackageName(name: string): PackageName {
  const result = match(name);
  if (typeof result === "string") {
    throw invalidInput("InvalidPackageName", `Invalid package name ${describe(name)}: ${result}.`, {
      packageName: name.length > 300 ? `${name.slice(0, 300)}…` : name,
    });
  }
  return result;
}

/** Quotes a name for an error message, shortened and with control characters escaped. */
function describe(name: string): string {
  const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name;
  return JSON.stringify(shown);
}
