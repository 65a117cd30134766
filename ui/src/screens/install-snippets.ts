/** What a person needs to install a package from this server with Composer. */
export interface InstallSnippets {
  /** `composer require vendor/name:^1.2`. */
  readonly command: string;
  /** The `repositories` entry of composer.json that points at this server. */
  readonly composerJson: string;
  /** auth.json with a placeholder where the token goes. */
  readonly authJson: string;
}

export const TOKEN_PLACEHOLDER = "YOUR_TOKEN";

/**
 * The constraint to suggest for a package: `^major.minor` of its newest stable version (`v1.2.3`
 * gives `^1.2`), else the newest version as it is (`dev-main`, `2.0.0-beta1`), else none.
 */
export function suggestedConstraint(latestStable: string | null, newest: string | null): string | null {
  if (latestStable !== null) {
    const match = /^v?(\d+)\.(\d+)/.exec(latestStable);
    if (match !== null) return `^${String(Number(match[1]))}.${String(Number(match[2]))}`;
    const major = /^v?(\d+)$/.exec(latestStable);
    if (major !== null) return `^${String(Number(major[1]))}.0`;
    return latestStable;
  }
  return newest;
}

/** The snippets for `name` served at `origin` (`https://packages.example.com`). */
export function installSnippets(
  name: string,
  origin: string,
  latestStable: string | null,
  newest: string | null,
): InstallSnippets {
  const constraint = suggestedConstraint(latestStable, newest);
  const host = new URL(origin).host;
  return {
    command: `composer require ${name}${constraint === null ? "" : `:${quoteForShell(constraint)}`}`,
    composerJson: JSON.stringify({ repositories: [{ type: "composer", url: origin }] }, null, 2),
    authJson: JSON.stringify(
      { "http-basic": { [host]: { username: "token", password: TOKEN_PLACEHOLDER } } },
      null,
      2,
    ),
  };
}

/** Constraints are plain (`^1.2`, `dev-main`); anything a shell would read otherwise is quoted. */
function quoteForShell(constraint: string): string {
  return /^[A-Za-z0-9^~.*@_+-]+$/.test(constraint) ? constraint : `'${constraint.replaceAll("'", "'\\''")}'`;
}
