import { useState, type ReactNode, type SyntheticEvent } from "react";
import type { AuditPage } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { LoadState } from "../components/load-state.tsx";
import { MoreButton } from "../components/more-button.tsx";
import { TextField } from "../components/text-field.tsx";
import { TableScroll } from "../components/table-scroll.tsx";

/** The audit log, newest first, searched with the query language of docs/audit-search.md. */
export function AuditLogScreen(): ReactNode {
  const { api } = useSession();
  const [draft, setDraft] = useState("");
  const [query, setQuery] = useState("");
  const [cursor, setCursor] = useState<string | null>(null);
  const params = new URLSearchParams({ limit: "50" });
  if (query !== "") params.set("q", query);
  if (cursor !== null) params.set("cursor", cursor);
  const page = useApiData<AuditPage>(api, `/api/audit/events?${params.toString()}`);

  function search(event: SyntheticEvent<HTMLFormElement>): void {
    event.preventDefault();
    setQuery(draft.trim());
    setCursor(null);
  }

  const queryError = page.status === "error" && page.problem.status === 400 ? page.problem.detail : undefined;
  return (
    <>
      <h1 tabIndex={-1}>Audit log</h1>
      <form role="search" className="panel" noValidate onSubmit={search}>
        <TextField
          id="audit-query"
          label="Search"
          type="search"
          hint="For example: action:login_failed created:>=2026-01-01 -outcome:success"
          value={draft}
          onChange={setDraft}
          error={queryError}
        />
        <div className="actions">
          <button type="submit" className="primary">
            Search
          </button>
        </div>
      </form>
      <section className="panel" aria-labelledby="events-heading">
        <h2 id="events-heading">Events</h2>
        <LoadState
          loaded={page}
          what="events"
          isEmpty={(data) => data.events.length === 0}
          empty={<p>No event matches.</p>}
        >
          {(data) => (
            <>
              <TableScroll label="Events table">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Seq</th>
                      <th scope="col">Time</th>
                      <th scope="col">Event</th>
                      <th scope="col">Outcome</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Target</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.events.map((event) => (
                      <tr key={event.id}>
                        <td>{event.seq}</td>
                        <td>
                          <DateText value={event.timestamp} />
                        </td>
                        <th scope="row">
                          {event.event}/{event.action}
                        </th>
                        <td>
                          <span className={`badge badge-${event.outcome === "success" ? "ok" : "error"}`}>
                            {event.outcome}
                          </span>
                        </td>
                        <td className="break">
                          {event.actor.type} {event.actor.id}
                        </td>
                        <td className="break">
                          {[event.target?.type, event.target?.name ?? event.target?.id, event.target?.version]
                            .filter((part) => part !== undefined)
                            .join(" ")}
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
