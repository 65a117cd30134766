/**
 * The absolute, stable URL of a dist. It is frozen into composer.lock and keys Composer's dist
 * cache, so it never carries a token and never changes for the same bytes.
 */
export function distUrl(
  baseUrl: string,
  version: { packageName: string; versionNormalized: string; reference: string },
): string {
  return `${baseUrl}/dists/${version.packageName}/${encodeURIComponent(version.versionNormalized)}/${version.reference}.zip`;
}

/** A name or version taken from a request, as error messages show it: quoted, at most 100 characters. */
export function shownName(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}
