import { invalidInput } from "../errors/domain-error.ts";
import { isValidPackageName } from "./package-name.ts";

/** At most this many names are read from an upstream's `available-packages` or package list. */
export const MAX_LISTED_PACKAGES = 1_000_000;

/** What the broker uses of an upstream's packages.json, every URL made absolute. */
export interface UpstreamRoot {
  /** `metadata-url` as an absolute template (`https://repo.example/p2/%package%.json`). */
  readonly metadataUrl: string;
  /** `available-packages`: every name the upstream has, when it says so; null otherwise. */
  readonly availablePackages: readonly string[] | null;
  /** `list`: Packagist's package list API (`/packages/list.json`, `?filter=` / `?vendor=`). */
  readonly listUrl: string | null;
  /** `metadata-changes-url`: the change feed (Packagist: `/metadata/changes.json`). */
  readonly changesUrl: string | null;
}

/**
 * Reads an upstream's packages.json (served at `rootUrl`). Only Composer v2 repositories (with a
 * `metadata-url` template) are accepted: `InvalidUpstreamRepository` otherwise. A leading `/`
 * resolves against the origin, as Composer does. Names in `available-packages` that are not valid
 * package names are left out; other keys that are not what they should be are ignored.
 */
export function readUpstreamRoot(body: string, rootUrl: string): UpstreamRoot {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw notComposer(`${rootUrl} is not JSON`);
  }
  const root = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const template = root["metadata-url"];
  if (typeof template !== "string" || !template.includes("%package%")) {
    throw notComposer(`${rootUrl} has no "metadata-url": not a Composer v2 repository`);
  }
  const absolute = resolve(template.replace("%package%", "__PACKAGE__"), rootUrl);
  if (absolute === null) throw notComposer(`${rootUrl} has an unusable "metadata-url"`);
  const available = root["available-packages"];
  return {
    metadataUrl: absolute.replace("__PACKAGE__", "%package%"),
    availablePackages: Array.isArray(available) ? packageNames(available) : null,
    listUrl: typeof root.list === "string" ? resolve(root.list, rootUrl) : null,
    changesUrl:
      typeof root["metadata-changes-url"] === "string"
        ? resolve(root["metadata-changes-url"], rootUrl)
        : null,
  };
}

/** Reads a package list (`{"packageNames": [...]}`, Packagist's `list.json`): its valid names. */
export function readPackageList(body: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw invalidInput("InvalidUpstreamMetadata", "the upstream's package list is not JSON");
  }
  const names = (parsed as { packageNames?: unknown } | null)?.packageNames;
  if (!Array.isArray(names)) {
    throw invalidInput("InvalidUpstreamMetadata", 'the upstream\'s package list has no "packageNames" list');
  }
  return packageNames(names);
}

function packageNames(values: readonly unknown[]): string[] {
  if (values.length > MAX_LISTED_PACKAGES) {
    throw invalidInput(
      "InvalidUpstreamMetadata",
      `the upstream lists more than ${MAX_LISTED_PACKAGES} packages`,
    );
  }
  const names = new Set<string>();
  for (const value of values) {
    if (typeof value === "string" && isValidPackageName(value)) names.add(value);
  }
  return [...names];
}

/** An absolute http(s) URL, or null. */
function resolve(value: string, base: string): string | null {
  try {
    const url = new URL(value, base);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

function notComposer(message: string) {
  return invalidInput("InvalidUpstreamRepository", message);
}
