import type { VersionEntry } from "./json-value.ts";
import { expandVersions, minifyVersions } from "./metadata-minifier.ts";
import { parsePackageName } from "./package-name.ts";

/** The value of the top-level `minified` key; Composer expands the versions only when it is present. */
export const MINIFIED_FORMAT = "composer/2.0";

/**
 * The body of `/p2/<name>.json` (or `~dev.json`): `{"minified":"composer/2.0","packages":{"<name>":[...]}}`,
 * compact JSON. Versions stay in the order given (the caller sorts them newest first). The same input
 * always gives the same bytes, and Composer's MetadataMinifier gives them back after expand + minify.
 *
 * Throws `InvalidPackageName` for an invalid name, and an Error when a version's `name` is not the
 * package name (Composer would file it under another package, or reject it when missing).
 */
export function buildP2Document(packageName: string, versions: readonly VersionEntry[]): string {
  parsePackageName(packageName);
  versions.forEach((version, index) => {
    if (version.name !== packageName) {
      throw new Error(
        `p2 document for ${packageName}: version #${index} has name ${JSON.stringify(version.name ?? null)}`,
      );
    }
  });
  // Minify what Composer will expand, not the input itself: expand() puts a key that reappears at the
  // end of the entry, so minifying the input directly can give diffs whose key order differs from
  // minify(expand(document)). This way Composer's expand-then-minify check gives back these bytes.
  const minified = JSON.stringify(minifyVersions(expandVersions(minifyVersions(versions))));
  return `{"minified":${JSON.stringify(MINIFIED_FORMAT)},"packages":{${JSON.stringify(packageName)}:${minified}}}`;
}
