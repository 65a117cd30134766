import { invalidInput } from "../errors/domain-error.ts";
import { isJsonObject, type JsonValue, type VersionEntry } from "./json-value.ts";
import { expandVersions, type MinifiedEntry } from "./metadata-minifier.ts";
import { MINIFIED_FORMAT } from "./p2-document.ts";
import { tryNormalizeVersion } from "./version-parser.ts";

/** At most this many versions are read from one upstream document. */
export const MAX_UPSTREAM_VERSIONS = 10_000;

/** A version of an upstream p2 document, expanded, with the normalized version it is filed under. */
export interface UpstreamVersion {
  readonly versionNormalized: string;
  readonly entry: VersionEntry;
}

/**
 * Reads the p2 document an upstream Composer repository served for `packageName`: parses it, expands
 * Composer's minified format (`"minified": "composer/2.0"`: later versions inherit every key of the
 * previous expanded one, `"__unset"` removes a key) exactly as Composer does, and keeps every key of
 * every version (`require`, `autoload`, ...). Versions without a usable version string are left out;
 * a document that is not JSON or not shaped like a p2 document is refused (`InvalidUpstreamMetadata`).
 */
export function readUpstreamP2(body: string, packageName: string): UpstreamVersion[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw invalid("it is not valid JSON");
  }
  if (!isJsonObject(parsed as JsonValue)) throw invalid("it is not a JSON object");
  const document = parsed as Record<string, JsonValue>;
  const packages = document.packages;
  if (!isJsonObject(packages)) throw invalid('it has no "packages" object');
  const list = Object.hasOwn(packages, packageName) ? packages[packageName] : [];
  if (!Array.isArray(list)) throw invalid(`"packages.${packageName}" is not a list`);
  if (list.length > MAX_UPSTREAM_VERSIONS) {
    throw invalid(`it lists more than ${MAX_UPSTREAM_VERSIONS} versions`);
  }
  const entries: MinifiedEntry[] = list.map((item, index) => {
    if (!isJsonObject(item)) throw invalid(`version #${index} is not an object`);
    return item;
  });
  const expanded = document.minified === MINIFIED_FORMAT ? expandVersions(entries) : entries;
  const versions: UpstreamVersion[] = [];
  const seen = new Set<string>();
  for (const entry of expanded) {
    const normalized = versionNormalizedOf(entry);
    if (normalized === null || seen.has(normalized)) continue;
    seen.add(normalized);
    versions.push({ versionNormalized: normalized, entry: { ...entry, name: packageName } });
  }
  return versions;
}

function versionNormalizedOf(entry: VersionEntry): string | null {
  const given = entry.version_normalized;
  if (typeof given === "string" && given !== "" && given.length <= 200) return given;
  const version = entry.version;
  if (typeof version !== "string" || version.length > 200) return null;
  return tryNormalizeVersion(version);
}

function invalid(reason: string) {
  return invalidInput("InvalidUpstreamMetadata", `the upstream's metadata was refused: ${reason}`);
}
