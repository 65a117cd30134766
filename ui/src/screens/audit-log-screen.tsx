import { useState, type ReactNode, type SyntheticEvent } from "react";
import { completions } from "../audit-query/query-terms.ts";
import { AuditEventList } from "./audit-event-list.tsx";
import { AuditExportPanel } from "./audit-export-panel.tsx";
import { AuditFilters } from "./audit-filters.tsx";
import { AuditHistogram } from "./audit-histogram.tsx";
import { AuditSearchHelp } from "./audit-search-help.tsx";
import "./audit-log.css";

/**
 * The audit log, newest first, searched with the query language of docs/audit-search.md (typed,
 * completed, or made by the filters); each event opens in a drawer with its inclusion proof
 * checked in the browser; the search exports in every format and the whole log verifies on demand.
 * Above the events, their histogram over time narrows the search to a range of it.
 */
export function AuditLogScreen(): ReactNode {
  // A link may open the screen on a search: /ui/audit-log?q=created:2026-01-01..2026-01-02
  const [draft, setDraft] = useState(initialQuery);
  const [query, setQuery] = useState(initialQuery);
  const [queryError, setQueryError] = useState<string | undefined>(undefined);

  function search(event: SyntheticEvent<HTMLFormElement>): void {
    event.preventDefault();
    setQuery(draft.trim());
  }

  function apply(next: string): void {
    setDraft(next);
    setQuery(next.trim());
  }

  const described = ["audit-query-hint", queryError === undefined ? null : "audit-query-error"]
    .filter((id) => id !== null)
    .join(" ");
  return (
    <>
      <h1 tabIndex={-1}>Audit log</h1>
      <form role="search" className="panel" noValidate onSubmit={search}>
        <div className="field">
          <label htmlFor="audit-query">Search</label>
          <p className="hint" id="audit-query-hint">
            For example: action:login_failed created:&gt;=2026-01-01 -outcome:success
          </p>
          <div className="audit-search-row">
            <input
              id="audit-query"
              name="audit-query"
              type="search"
              list="audit-query-completions"
              autoComplete="off"
              spellCheck={false}
              value={draft}
              aria-invalid={queryError === undefined ? undefined : true}
              aria-describedby={described}
              onChange={(event) => {
                setDraft(event.target.value);
              }}
            />
            <button type="submit" className="primary">
              Search
            </button>
          </div>
          <datalist id="audit-query-completions">
            {completions(draft)
              .slice(0, 20)
              .map((option) => (
                <option key={option} value={option} />
              ))}
          </datalist>
          {queryError === undefined ? null : (
            <p className="field-error" id="audit-query-error">
              {queryError}
            </p>
          )}
        </div>
        <AuditSearchHelp />
      </form>
      <section className="panel" aria-label="Filters">
        <AuditFilters query={query} onChange={apply} />
      </section>
      <section className="panel" aria-labelledby="histogram-heading">
        <h2 id="histogram-heading">Events over time</h2>
        <AuditHistogram key={query} query={query} onNarrow={apply} />
      </section>
      <section className="panel" aria-labelledby="events-heading">
        <h2 id="events-heading">Events</h2>
        <AuditEventList key={query} query={query} onQueryProblem={setQueryError} />
      </section>
      <AuditExportPanel query={query} />
    </>
  );
}

function initialQuery(): string {
  return (new URLSearchParams(window.location.search).get("q") ?? "").trim();
}
