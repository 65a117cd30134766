import { invalidInput } from "../errors/domain-error.ts";
import { parsePackageName } from "./package-name.ts";

export interface PackagesJsonInput {
  /** Absolute http(s) URL of the repository, with any path prefix it is mounted under. */
  baseUrl: string;
  packageNames: readonly string[];
  /**
   * Patterns of names served by proxying (docs/proxy.md). Composer asks this repository about a
   * name only when `available-packages` lists it or one of these patterns matches it.
   */
  packagePatterns?: readonly string[];
}

/**
 * The repository root document, `/packages.json`. URLs are absolute: Composer resolves a URL that
 * starts with `/` against scheme://host:port only and would lose a path prefix, and it cannot use
 * relative ones at all. `available-packages` is sorted and deduplicated, so Composer never asks
 * for a name that is not listed.
 */
export function buildPackagesJson(input: PackagesJsonInput): string {
  const base = normalizeBaseUrl(input.baseUrl);
  for (const name of input.packageNames) parsePackageName(name);
  const names = [...new Set(input.packageNames)].sort();
  return JSON.stringify({
    packages: [],
    "metadata-url": `${base}/p2/%package%.json`,
    "notify-batch": `${base}/downloads`,
    "available-packages": names,
    ...(input.packagePatterns === undefined || input.packagePatterns.length === 0
      ? {}
      : { "available-package-patterns": [...new Set(input.packagePatterns)].sort() }),
  });
}

/** `https://Repo.example.com:443/composer/` → `https://repo.example.com/composer`. */
export function normalizeBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalidInput("InvalidBaseUrl", `The base URL ${JSON.stringify(baseUrl)} is not an absolute URL.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidInput("InvalidBaseUrl", `The base URL ${JSON.stringify(baseUrl)} must use http or https.`);
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw invalidInput(
      "InvalidBaseUrl",
      `The base URL ${JSON.stringify(baseUrl)} must not contain credentials, a query or a fragment.`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
