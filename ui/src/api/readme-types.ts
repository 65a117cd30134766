/** GET /api/packages/{vendor}/{name}/readme: a version's README, read from its stored dist. */
export interface PackageReadme {
  readonly name: string;
  /** The version, as published. */
  readonly version: string;
  /** Its path in the dist archive. */
  readonly path: string;
  readonly format: "markdown" | "text";
  /** At most 512 KiB of it; `truncated` says whether there was more. */
  readonly content: string;
  readonly truncated: boolean;
}

/** The problem codes of that endpoint that are answers rather than failures. */
export const README_PROBLEMS = {
  /** The version has no README. */
  none: "ReadmeNotFound",
  /** A proxied version whose dist was never downloaded through the broker. */
  notCached: "ReadmeNotAvailable",
} as const;
