import { compilePackagePatterns, parsePackagePatterns } from "../../access/package-pattern.ts";
import { isValidPackageName } from "../../composer/package-name.ts";
import type { UpstreamRoot } from "../../composer/upstream-root.ts";
import { invalidInput } from "../../errors/domain-error.ts";
import type { RepositoryRecord } from "../../storage/database/repository-records.ts";

/** An eager sync mirrors at most this many packages (docs/proxy.md, "Eager mode"). */
export const MAX_EAGER_PACKAGES = 5_000;

/** Reads one package list of the upstream (`list` URL with its query): its valid names. */
export type PackageListReader = (url: string) => Promise<readonly string[]>;

/**
 * The names an eager sync mirrors: the eager patterns without `*` as they are, and the names the
 * upstream lists that match a pattern with `*` — from its `available-packages`, or else from its
 * package list API (`list`, asked once per pattern: `?vendor=acme` for `acme/*`, `?filter=` for
 * others). Every name must also be allowed by the upstream's package patterns. More than
 * MAX_EAGER_PACKAGES names, or wildcards on an upstream that lists nothing, is refused.
 */
export async function eagerPackageNames(
  upstream: RepositoryRecord,
  root: UpstreamRoot,
  readList: PackageListReader,
): Promise<string[]> {
  const exact = upstream.eagerPackages.filter((pattern) => !pattern.includes("*"));
  const wildcards = upstream.eagerPackages.filter((pattern) => pattern.includes("*"));
  const listed = wildcards.length === 0 ? [] : await listedNames(upstream, root, wildcards, readList);
  const matches = compilePackagePatterns(wildcards);
  const allowed = compilePackagePatterns(upstream.packagePatterns);
  const names = new Set<string>();
  for (const name of [...exact, ...listed.filter((listedName) => matches(listedName))]) {
    if (isValidPackageName(name) && allowed(name)) names.add(name);
  }
  if (names.size > MAX_EAGER_PACKAGES) {
    throw invalidInput(
      "TooManyEagerPackages",
      `the eager patterns of "${upstream.name}" match ${names.size} packages, more than the ${MAX_EAGER_PACKAGES} an eager sync mirrors; use narrower patterns`,
    );
  }
  return [...names].sort();
}

async function listedNames(
  upstream: RepositoryRecord,
  root: UpstreamRoot,
  wildcards: readonly string[],
  readList: PackageListReader,
): Promise<readonly string[]> {
  if (root.availablePackages !== null) return root.availablePackages;
  const listUrl = root.listUrl;
  if (listUrl === null) {
    throw invalidInput(
      "EagerListingUnavailable",
      `"${upstream.name}" lists neither "available-packages" nor a package list API in its packages.json: eager patterns with * (${wildcards.join(", ")}) cannot be resolved there; name the packages exactly`,
    );
  }
  const names: string[] = [];
  for (const pattern of wildcards) {
    const vendor = /^([a-z0-9_.-]+)\/\*$/.exec(pattern)?.[1];
    const url = new URL(listUrl);
    if (vendor === undefined) url.searchParams.set("filter", pattern);
    else url.searchParams.set("vendor", vendor);
    names.push(...(await readList(url.href)));
  }
  return names;
}

/**
 * Validates eager patterns as given by a client: package patterns (normalised as
 * parsePackagePatterns does), and a pattern without `*` must be a valid package name.
 */
export function parseEagerPatterns(input: readonly string[]): string[] {
  const patterns = parsePackagePatterns(input);
  const invalid = patterns.find((pattern) => !pattern.includes("*") && !isValidPackageName(pattern));
  if (invalid !== undefined) {
    throw invalidInput(
      "InvalidPackagePattern",
      `the eager pattern "${invalid}" is neither a package name (vendor/name) nor a pattern with *`,
    );
  }
  return patterns;
}
