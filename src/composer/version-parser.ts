/**
 * Composer's version handling, ported faithfully from PHP: composer/semver's VersionParser
 * (version-normalizer.ts), PHP's version_compare (version-compare.ts), how VcsRepository turns git
 * tags and branches into versions (vcs-versions.ts), and ArrayLoader's branch-alias rules (here).
 * version-parser.differential.test.ts runs all of it against Composer's own PHP code.
 */
import { DEFAULT_BRANCH_ALIAS, normalizeBranch, parseNumericAliasPrefix } from "./version-normalizer.ts";
import { asciiLower, startsWithAsciiIgnoreCase } from "./php-compat.ts";

export {
  DEFAULT_BRANCH_ALIAS,
  normalizeBranch,
  normalizeDefaultBranch,
  normalizeStability,
  normalizeVersion,
  parseNumericAliasPrefix,
  parseStability,
  prettyBranchVersion,
  tryNormalizeVersion,
  type Stability,
} from "./version-normalizer.ts";
export { compareNewestFirst, compareNormalizedVersions, phpVersionCompare } from "./version-compare.ts";
export { versionFromBranch, versionFromTag, type VcsVersion } from "./vcs-versions.ts";

/**
 * The target-side rules `ArrayLoader::getBranchAlias()` applies to an `extra.branch-alias` value:
 * it must end in `-dev`, and `normalizeBranch()` of the rest must end in `-dev` too. Returns the
 * normalized alias (`1.x-dev` -> `1.9999999.9999999.9999999-dev`) or null when Composer ignores it.
 * Note the rule is weaker than "numeric": `feature-dev-dev` passes as `dev-feature-dev`.
 */
export function normalizeBranchAlias(target: string): string | null {
  if (!target.endsWith("-dev")) return null;
  const normalized = target === DEFAULT_BRANCH_ALIAS ? target : normalizeBranch(target.slice(0, -4));
  return normalized.endsWith("-dev") ? normalized : null;
}

export interface BranchAliasInput {
  /** The pretty version of the branch package, e.g. `dev-main` or `2.x-dev`. */
  readonly version: string;
  /** `extra.branch-alias` as [source, target] pairs, in document order. */
  readonly branchAliases?: Iterable<readonly [string, string]>;
  /** Whether this is the repository's default branch. */
  readonly defaultBranch?: boolean;
}

/**
 * `ArrayLoader::getBranchAlias()`: the normalized alias version a branch package gets, or null.
 * An alias applies when its source is this branch (case-insensitively), its target passes
 * normalizeBranchAlias(), and numeric targets extend a numeric source (`2.x-dev` may alias
 * `2.1.x-dev` but not `3.0.x-dev`). A non-numeric default branch otherwise gets 9999999-dev.
 */
export function resolveBranchAlias({
  version,
  branchAliases = [],
  defaultBranch = false,
}: BranchAliasInput): string | null {
  if (!version.startsWith("dev-") && !version.endsWith("-dev")) return null;
  for (const [source, target] of branchAliases) {
    const normalized = normalizeBranchAlias(target);
    if (normalized === null || asciiLower(version) !== asciiLower(source)) continue;
    const sourcePrefix = parseNumericAliasPrefix(source);
    const targetPrefix = parseNumericAliasPrefix(target);
    if (
      sourcePrefix !== null &&
      targetPrefix !== null &&
      !startsWithAsciiIgnoreCase(targetPrefix, sourcePrefix)
    ) {
      continue;
    }
    return normalized;
  }
  return defaultBranch && parseNumericAliasPrefix(version) === null ? DEFAULT_BRANCH_ALIAS : null;
}
