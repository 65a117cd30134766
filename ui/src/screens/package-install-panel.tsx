import type { ReactNode } from "react";
import type { PackageDetails } from "../api/package-types.ts";
import { CopyBlock } from "../components/copy-block.tsx";
import { AppLink } from "../router/app-link.tsx";
import { installSnippets, TOKEN_PLACEHOLDER } from "./install-snippets.ts";

/** How to install the package from this server: the command, composer.json and auth.json. */
export function PackageInstallPanel({ item }: { readonly item: PackageDetails }): ReactNode {
  const snippets = installSnippets(
    item.name,
    window.location.origin,
    item.latestVersion,
    item.versions[0]?.version ?? null,
  );
  return (
    <section className="panel" aria-labelledby="install-heading">
      <h2 id="install-heading">Install</h2>
      <CopyBlock id="install-command" label="Command" text={snippets.command} />
      <p className="hint">
        Once, in the project&apos;s <code>composer.json</code>, so that Composer asks this server:
      </p>
      <CopyBlock id="install-composer-json" label="composer.json" text={snippets.composerJson} />
      <p className="hint">
        And in <code>auth.json</code> beside it (keep it out of version control), with a token that may read
        this package in place of <code>{TOKEN_PLACEHOLDER}</code> (<AppLink to="/ui/tokens">Tokens</AppLink>
        ):
      </p>
      <CopyBlock id="install-auth-json" label="auth.json" text={snippets.authJson} />
    </section>
  );
}
