import { useEffect, useState, type ReactNode } from "react";
import { useSession } from "../api/session-context.ts";
import { DateText } from "../components/date-text.tsx";
import { TextField } from "../components/text-field.tsx";
import { TableScroll } from "../components/table-scroll.tsx";
import { useWhenVisible } from "../components/use-when-visible.ts";
import { AppLink } from "../router/app-link.tsx";
import { packagePath } from "../router/package-route.ts";
import { usePackagePages } from "./use-package-pages.ts";
import "./package-screens.css";

/** How long typing must pause before the search is sent. */
const SEARCH_DELAY_MS = 250;

/**
 * The packages the person may see, searched as they type, a page at a time (the next as the end of
 * the list scrolls into view, or with "Load more"), each linking to its page.
 */
export function PackagesScreen(): ReactNode {
  const { api } = useSession();
  const [typed, setTyped] = useState("");
  const [query, setQuery] = useState("");
  useEffect(() => {
    const wanted = typed.trim().slice(0, 255);
    if (wanted === query) return;
    const timer = window.setTimeout(() => {
      setQuery(wanted);
    }, SEARCH_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
    };
  }, [typed, query]);
  const list = usePackagePages(api, query);
  const count = list.packages.length;
  // Infinite scroll: the end of the list near the window loads the next page (the button stays).
  const endOfList = useWhenVisible<HTMLParagraphElement>(
    list.loadMore,
    count,
    list.hasMore && !list.loadingMore && list.problem === null,
  );
  return (
    <>
      <h1 tabIndex={-1}>Packages</h1>
      <form
        role="search"
        className="panel"
        onSubmit={(event) => {
          event.preventDefault();
          setQuery(typed.trim().slice(0, 255));
        }}
      >
        <TextField
          id="package-query"
          label="Find a package"
          type="search"
          hint="Part of the name; the list follows as you type."
          value={typed}
          onChange={setTyped}
        />
      </form>
      <section
        className="panel"
        aria-labelledby="package-list-heading"
        aria-busy={list.loading || list.loadingMore}
      >
        <h2 id="package-list-heading" className="break">
          {query === "" ? "Packages" : `Packages matching “${query}”`}
        </h2>
        <p
          role="status"
          className={list.loading ? "state state-loading result-count" : "hint result-count"}
          data-testid="package-result-count"
        >
          {list.loading
            ? "Loading packages…"
            : `${String(count)} ${count === 1 ? "package" : "packages"} shown${list.hasMore ? ", more to load" : ""}.`}
        </p>
        {list.loading ? null : count === 0 && list.problem === null ? (
          <div className="state state-empty">
            <p>{query === "" ? "No packages yet." : "No package matches."}</p>
          </div>
        ) : count === 0 ? null : (
          <TableScroll label="Packages table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Latest</th>
                  <th scope="col">Versions</th>
                  <th scope="col">Downloads</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {list.packages.map((item) => (
                  <tr key={item.name}>
                    <th scope="row">
                      <AppLink to={packagePath(item.name)} className="package-link">
                        {item.name}
                      </AppLink>
                      {item.description === null ? null : <p className="hint">{item.description}</p>}
                    </th>
                    <td>{item.latestVersion ?? "—"}</td>
                    <td>{item.versionCount}</td>
                    <td>{item.downloads}</td>
                    <td>
                      <DateText value={item.updatedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
        {list.problem === null ? null : (
          <div className="state state-error" role="alert">
            <p>
              Could not load packages: {list.problem.detail}
              {list.problem.code === "HttpError" || list.problem.code === "Unreachable"
                ? null
                : ` (${list.problem.code})`}
            </p>
            <button type="button" onClick={list.retry}>
              Try again
            </button>
          </div>
        )}
        {(list.hasMore || list.loadingMore) && list.problem === null ? (
          <p ref={endOfList}>
            {/* aria-disabled rather than disabled: the button keeps the focus while the page loads. */}
            <button
              type="button"
              onClick={list.loadingMore ? undefined : list.loadMore}
              aria-disabled={list.loadingMore}
            >
              {list.loadingMore ? "Loading more…" : "Load more"}
            </button>
          </p>
        ) : null}
      </section>
    </>
  );
}
