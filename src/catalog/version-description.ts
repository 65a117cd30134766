import { isJsonObject, type JsonValue } from "../composer/json-value.ts";

/** What a version's stored metadata says about the package, in fixed shapes for the API. */
export interface VersionDescription {
  readonly description: string | null;
  readonly type: string | null;
  readonly license: readonly string[];
  readonly homepage: string | null;
  readonly keywords: readonly string[];
  readonly time: string | null;
  readonly require: Readonly<Record<string, string>>;
  readonly requireDev: Readonly<Record<string, string>>;
  readonly conflict: Readonly<Record<string, string>>;
  readonly replace: Readonly<Record<string, string>>;
  readonly provide: Readonly<Record<string, string>>;
  readonly suggest: Readonly<Record<string, string>>;
}

/**
 * Reads the descriptive fields of a stored version entry (JSON text). The entry was validated
 * when it was stored; anything of another shape is left out rather than passed on.
 */
export function describeVersion(metadata: string): VersionDescription {
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(metadata) as JsonValue;
  } catch {
    parsed = null;
  }
  const entry = isJsonObject(parsed) ? parsed : {};
  const field = (key: string): JsonValue | undefined => (Object.hasOwn(entry, key) ? entry[key] : undefined);
  return {
    description: text(field("description")),
    type: text(field("type")),
    license: texts(field("license")),
    homepage: text(field("homepage")),
    keywords: texts(field("keywords")),
    time: text(field("time")),
    require: links(field("require")),
    requireDev: links(field("require-dev")),
    conflict: links(field("conflict")),
    replace: links(field("replace")),
    provide: links(field("provide")),
    suggest: links(field("suggest")),
  };
}

function text(value: JsonValue | undefined): string | null {
  return typeof value === "string" ? value : null;
}

function texts(value: JsonValue | undefined): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** Package name → constraint (or, for `suggest`, the reason); built with own properties only. */
function links(value: JsonValue | undefined): Record<string, string> {
  if (!isJsonObject(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((pair): pair is [string, string] => typeof pair[1] === "string"),
  );
}
