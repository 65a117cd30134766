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
