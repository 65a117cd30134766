import { jsonIdentical, setOwn, type JsonObject, type JsonValue, type VersionEntry } from "./json-value.ts";

/**
 * A version in Composer's minified ("composer/2.0") list: the first one complete, each later one
 * only with the keys that changed since the previous expanded version, `"__unset"` for removed keys.
 */
export type MinifiedEntry = Record<string, JsonValue>;

/** The marker value for a key that the previous version had and this one has not. */
export const UNSET = "__unset";

/** PHP's `!$array` on an array: an empty array is falsy. `null` stands for "no previous version". */
function phpFalsy(value: JsonObject | null): value is null | Record<string, never> {
  if (value === null) return true;
  for (const key in value) {
    if (Object.hasOwn(value, key)) return false;
  }
  return true;
}

/** PHP's `isset($array[$key])`: the key exists and its value is not null. */
function phpIsset(array: JsonObject, key: string): boolean {
  return Object.hasOwn(array, key) && array[key] !== null;
}

/**
 * Port of Composer\MetadataMinifier\MetadataMinifier::minify (composer/metadata-minifier 1.0.0),
 * including its quirks, so that the output is byte for byte what PHP produces:
 * - a key whose value is `null` in a later version is emitted as `"__unset"` (PHP's `isset` treats
 *   null as absent), so Composer drops top-level nulls from every version but the first;
 * - a version that follows an empty (previous) version is emitted complete;
 * - values are compared like PHP `!==` on decoded JSON arrays: type, value and key order.
 */
export function minifyVersions(versions: readonly VersionEntry[]): MinifiedEntry[] {
  const minifiedVersions: MinifiedEntry[] = [];
  let lastKnown: JsonObject | null = null;

  for (const version of versions) {
    if (phpFalsy(lastKnown)) {
      lastKnown = { ...version };
      minifiedVersions.push({ ...version });
      continue;
    }

    const minified: MinifiedEntry = {};
    for (const key of Object.keys(version)) {
      const value = version[key] as JsonValue;
      if (!phpIsset(lastKnown, key) || !jsonIdentical(lastKnown[key] as JsonValue, value)) {
        setOwn(minified, key, value);
        setOwn(lastKnown, key, value);
      }
    }
    for (const key of Object.keys(lastKnown)) {
      if (!phpIsset(version, key)) {
        setOwn(minified, key, UNSET);
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- mirrors PHP unset()
        delete lastKnown[key];
      }
    }
    minifiedVersions.push(minified);
  }
  return minifiedVersions;
}

/** Port of Composer\MetadataMinifier\MetadataMinifier::expand. */
export function expandVersions(minified: readonly MinifiedEntry[]): VersionEntry[] {
  const expanded: VersionEntry[] = [];
  let expandedVersion: JsonObject | null = null;

  for (const versionData of minified) {
    if (phpFalsy(expandedVersion)) {
      expandedVersion = { ...versionData };
      expanded.push({ ...expandedVersion });
      continue;
    }
    for (const key of Object.keys(versionData)) {
      const value = versionData[key] as JsonValue;
      if (value === UNSET) {
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- mirrors PHP unset()
        delete expandedVersion[key];
      } else {
        setOwn(expandedVersion, key, value);
      }
    }
    expanded.push({ ...expandedVersion });
  }
  return expanded;
}
