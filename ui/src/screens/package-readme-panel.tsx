import { useState, type ReactNode } from "react";
import type { PackageDetails } from "../api/package-types.ts";
import { README_PROBLEMS, type PackageReadme } from "../api/readme-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData, type Loaded } from "../api/use-api-data.ts";
import { LoadState } from "../components/load-state.tsx";
import { MarkdownView } from "../markdown/markdown-view.ts";

/** The page's headings are h1 (the package) and h2 (the panels): a README's `#` becomes an h3. */
const HEADING_OFFSET = 2;

/** The README of the version the package is described by, or of another version chosen here. */
export function PackageReadmePanel({ item }: { readonly item: PackageDetails }): ReactNode {
  const { api } = useSession();
  const [version, setVersion] = useState(item.latest.versionNormalized);
  const params = new URLSearchParams({ version });
  const loaded = useApiData<PackageReadme>(api, `/api/packages/${item.name}/readme?${params.toString()}`);
  return (
    <section className="panel" aria-labelledby="readme-heading" data-testid="package-readme">
      <div className="readme-head">
        <h2 id="readme-heading">README</h2>
        <div className="field">
          <label htmlFor="readme-version">README version</label>
          <select
            id="readme-version"
            value={version}
            onChange={(event) => {
              setVersion(event.target.value);
            }}
          >
            {item.versions.map((entry) => (
              <option key={entry.versionNormalized} value={entry.versionNormalized}>
                {entry.version}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ReadmeState loaded={loaded} />
    </section>
  );
}

function ReadmeState({
  loaded,
}: {
  readonly loaded: Loaded<PackageReadme> & { reload: () => void };
}): ReactNode {
  if (loaded.status === "error" && loaded.problem.code === README_PROBLEMS.none) {
    return (
      <div className="state state-empty">
        <p>This version has no README.</p>
      </div>
    );
  }
  if (loaded.status === "error" && loaded.problem.code === README_PROBLEMS.notCached) {
    return (
      <div className="state state-empty">
        <p>The README is available once this version has been downloaded through the broker.</p>
      </div>
    );
  }
  return (
    <LoadState loaded={loaded} what="the README">
      {(readme) => (
        <>
          <p className="hint">
            <code>{readme.path}</code> of version {readme.version}
          </p>
          <div className="readme-body">
            {readme.format === "markdown" ? (
              <MarkdownView source={readme.content} headingOffset={HEADING_OFFSET} />
            ) : (
              <pre className="md-plain">{readme.content}</pre>
            )}
          </div>
          {readme.truncated ? (
            <p className="hint" role="note">
              The README is longer than 512 KiB; only its beginning is shown.
            </p>
          ) : null}
        </>
      )}
    </LoadState>
  );
}
