/**
 * How Composer's VcsRepository turns git tags and branches into package versions (the parts of
 * `VcsRepository::initialize()`, `validateTag()` and `validateBranch()` that depend only on the ref
 * name). version-parser.differential.test.ts runs the real VcsRepository on the same names.
 *
 * Not covered here because they need more than the name: a composer.json `version` that disagrees
 * with the tag, and two tags that normalize to the same version (Composer keeps the first one read).
 */
import { isParseableConstraint } from "./constraint-validity.ts";
import { PCRE_END } from "./php-compat.ts";
import {
  DEFAULT_BRANCH_ALIAS,
  normalizeBranch,
  prettyBranchVersion,
  tryNormalizeVersion,
} from "./version-normalizer.ts";

export interface VcsVersion {
  /** The pretty version, e.g. `v1.2.0`, `1.x-dev` or `dev-main`. */
  readonly version: string;
  /** The normalized version, e.g. `1.2.0.0`, `1.9999999.9999999.9999999-dev` or `dev-main`. */
  readonly versionNormalized: string;
}

/** `{(^dev-|[.-]?dev$)}i`: tags may not normalize to a dev version. */
const DEV_MARKER = new RegExp(`^dev-|[.-]?dev${PCRE_END}`, "i");
/** `{[.-]?dev$}i`, removed from a tag's pretty version. */
const DEV_SUFFIX = new RegExp(`[.-]?dev${PCRE_END}`, "i");

/**
 * The version Composer reads from a tag (auto-versioned package: no `version` in composer.json),
 * or null where it skips the tag. Every `release-` in the name is removed first; the rest must
 * normalize (VersionParser::normalize) to a version that is neither `dev-*` nor `*-dev`, so
 * `1.0.0-dev` and `dev-foo` are skipped. The pretty version is the tag name minus a trailing
 * `[.-]dev` (which matters for `1.0.0-stable-dev`, normalized to `1.0.0.0`).
 */
export function versionFromTag(tag: string): VcsVersion | null {
  const name = tag.replaceAll("release-", "");
  const versionNormalized = tryNormalizeVersion(name);
  if (versionNormalized === null || DEV_MARKER.test(versionNormalized)) return null;
  return { version: name.replace(DEV_SUFFIX, ""), versionNormalized };
}

/**
 * The version Composer reads from a branch, or null where it skips the branch. The name is
 * normalized with normalizeBranch() and must then parse as a version constraint (so `a,b` or
 * `a|b` are skipped). Numeric branches get `1.x-dev`-style pretty versions (a leading lowercase `v`
 * is kept), all others `dev-<branch>`.
 */
export function versionFromBranch(branch: string): VcsVersion | null {
  const versionNormalized = normalizeBranch(branch);
  if (!isParseableConstraint(versionNormalized)) return null;
  const version =
    versionNormalized.startsWith("dev-") || versionNormalized === DEFAULT_BRANCH_ALIAS
      ? `dev-${branch}`
      : (branch.startsWith("v") ? "v" : "") + prettyBranchVersion(versionNormalized);
  return { version, versionNormalized };
}
