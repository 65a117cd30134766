import { useEffect, useRef, useState, type ReactNode } from "react";
import type { AuditEnvelope, AuditEnvelopePage } from "../api/audit-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem, useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { LoadState } from "../components/load-state.tsx";
import { TableScroll } from "../components/table-scroll.tsx";
import { useWhenVisible } from "../components/use-when-visible.ts";
import { AuditEventDrawer } from "./audit-event-drawer.tsx";

export const AUDIT_PAGE_SIZE = 25;

interface More {
  readonly events: readonly AuditEnvelope[];
  readonly cursor: string | null;
  readonly loading: boolean;
  readonly error: string | null;
}

function pagePath(query: string, cursor: string | null): string {
  const params = new URLSearchParams({ limit: String(AUDIT_PAGE_SIZE) });
  if (query !== "") params.set("q", query);
  if (cursor !== null) params.set("cursor", cursor);
  return `/api/audit/events?${params.toString()}`;
}

/**
 * The events of one search, newest first: scrolling to the end of the list, or "Load more",
 * appends the next keyset page (the API's cursor) below those shown; after a failed page only the
 * button tries again. A row's button opens the event's drawer. Mount it anew (a `key`) for
 * each search.
 */
export function AuditEventList(props: {
  readonly query: string;
  /** Told the API's refusal of the search (400), or undefined; must be stable (a state setter). */
  readonly onQueryProblem: (detail: string | undefined) => void;
}): ReactNode {
  const { api } = useSession();
  const first = useApiData<AuditEnvelopePage>(api, pagePath(props.query, null));
  const [more, setMore] = useState<More | null>(null);
  const inFlight = useRef(false);
  const [open, setOpen] = useState<{ readonly event: AuditEnvelope; readonly opener: HTMLElement } | null>(
    null,
  );
  const { onQueryProblem } = props;
  const queryProblem =
    first.status === "error" && first.problem.status === 400 ? first.problem.detail : undefined;
  useEffect(() => {
    onQueryProblem(queryProblem);
  }, [onQueryProblem, queryProblem]);

  const nextCursor = first.status === "ready" ? (more === null ? first.data.next_cursor : more.cursor) : null;
  const endOfList = useWhenVisible<HTMLParagraphElement>(
    () => {
      if (nextCursor !== null) loadMore(nextCursor);
    },
    nextCursor,
    nextCursor !== null && more?.loading !== true && more?.error == null,
  );

  function loadMore(cursor: string): void {
    // The button and the end of the list scrolling into view may both ask for the same page.
    if (inFlight.current) return;
    inFlight.current = true;
    setMore((current) => ({ events: current?.events ?? [], cursor, loading: true, error: null }));
    api.get<AuditEnvelopePage>(pagePath(props.query, cursor)).then(
      (page) => {
        inFlight.current = false;
        setMore((current) => ({
          events: [...(current?.events ?? []), ...page.events],
          cursor: page.next_cursor,
          loading: false,
          error: null,
        }));
      },
      (error: unknown) => {
        inFlight.current = false;
        setMore((current) => ({
          events: current?.events ?? [],
          cursor,
          loading: false,
          error: asProblem(error).detail,
        }));
      },
    );
  }

  return (
    <>
      <LoadState
        loaded={first}
        what="events"
        isEmpty={(data) => data.events.length === 0}
        empty={<p>No event matches.</p>}
      >
        {(data) => {
          const events = [...data.events, ...(more?.events ?? [])];
          const cursor = more === null ? data.next_cursor : more.cursor;
          return (
            <>
              <p className="hint" role="status" data-testid="audit-event-count">
                {events.length} event{events.length === 1 ? "" : "s"} shown
                {cursor === null ? "" : ", more exist"}
              </p>
              <TableScroll label="Events table">
                <table className="audit-table">
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
                    {events.map((event) => (
                      <tr key={event.id} data-seq={event.seq}>
                        <td>{event.seq}</td>
                        <td>
                          <DateText value={event.timestamp} utc />
                        </td>
                        <th scope="row">
                          <button
                            type="button"
                            className="link-button"
                            aria-haspopup="dialog"
                            onClick={(click) => {
                              setOpen({ event, opener: click.currentTarget });
                            }}
                          >
                            {event.event}/{event.action}
                          </button>
                        </th>
                        <td>
                          <span className={`badge badge-${event.outcome === "success" ? "ok" : "error"}`}>
                            {event.outcome}
                          </span>
                        </td>
                        <td className="break">
                          {event.actor.type} {event.actor.id}
                        </td>
                        <td className="break">{targetText(event)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
              {more?.error == null ? null : (
                <p role="alert" className="field-error">
                  Could not load more events: {more.error}
                </p>
              )}
              {cursor === null ? null : (
                <p ref={endOfList}>
                  <button
                    type="button"
                    disabled={more?.loading === true}
                    onClick={() => {
                      loadMore(cursor);
                    }}
                  >
                    {more?.loading === true ? "Loading more…" : "Load more"}
                  </button>
                </p>
              )}
            </>
          );
        }}
      </LoadState>
      {open === null ? null : (
        <AuditEventDrawer
          event={open.event}
          returnFocus={open.opener}
          onClose={() => {
            setOpen(null);
          }}
        />
      )}
    </>
  );
}

function targetText(event: AuditEnvelope): string {
  const target = event.target;
  if (target == null) return "";
  return [target.type, target.name ?? target.id, target.version]
    .filter((part) => part !== undefined)
    .join(" ");
}
