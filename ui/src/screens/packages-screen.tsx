import { useState, type ReactNode } from "react";
import type { PackagePage } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { LoadState } from "../components/load-state.tsx";
import { MoreButton } from "../components/more-button.tsx";
import { TextField } from "../components/text-field.tsx";
import { TableScroll } from "../components/table-scroll.tsx";

/** The packages the person may see, searchable by name, with versions and downloads. */
export function PackagesScreen(): ReactNode {
  const { api } = useSession();
  const [query, setQuery] = useState("");
  const [cursor, setCursor] = useState<string | null>(null);
  const params = new URLSearchParams({ limit: "50" });
  if (query.trim() !== "") params.set("q", query.trim().slice(0, 255));
  if (cursor !== null) params.set("cursor", cursor);
  const page = useApiData<PackagePage>(api, `/api/packages?${params.toString()}`);
  return (
    <>
      <h1 tabIndex={-1}>Packages</h1>
      <form
        role="search"
        className="panel"
        onSubmit={(event) => {
          event.preventDefault();
        }}
      >
        <TextField
          id="package-query"
          label="Find a package"
          type="search"
          value={query}
          onChange={(value) => {
            setQuery(value);
            setCursor(null);
          }}
        />
      </form>
      <section className="panel" aria-labelledby="package-list-heading">
        <h2 id="package-list-heading">{cursor === null ? "Packages" : "Packages (next page)"}</h2>
        <LoadState
          loaded={page}
          what="packages"
          isEmpty={(data) => data.packages.length === 0}
          empty={<p>{query.trim() === "" ? "No packages yet." : "No package matches."}</p>}
        >
          {(data) => (
            <>
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
                    {data.packages.map((item) => (
                      <tr key={item.name}>
                        <th scope="row">
                          {item.name}
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
              <MoreButton cursor={data.next_cursor} onMore={setCursor} />
            </>
          )}
        </LoadState>
      </section>
    </>
  );
}
