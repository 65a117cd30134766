import { useState, type ReactNode } from "react";
import type { AlertDetail } from "../api/alert-types.ts";
import type { AuditEnvelope, AuditEnvelopePage, AuditInclusionProof } from "../api/audit-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem, useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { FormError } from "../components/form-error.tsx";
import { TableScroll } from "../components/table-scroll.tsx";
import { AppLink } from "../router/app-link.tsx";
import { AuditEventDrawer } from "./audit-event-drawer.tsx";

/** The search of the alert's time reads at most this many events to name the evidence. */
const WINDOW_LIMIT = 1000;

/**
 * An alert's evidence events, oldest first. They are named (time, category/action) from one
 * search of the alert's time (`created:first..last`, the newest 1,000 events of it); an event
 * beyond that is shown by its id. Each opens in the audit event drawer with its inclusion proof.
 */
export function AlertEvidence({ alert }: { readonly alert: AlertDetail }): ReactNode {
  const { api } = useSession();
  const created = `created:${alert.firstTimestamp}..${alert.lastTimestamp}`;
  const around = useApiData<AuditEnvelopePage>(
    api,
    `/api/audit/events?${new URLSearchParams({ q: created, limit: String(WINDOW_LIMIT) }).toString()}`,
  );
  const known = new Map<string, AuditEnvelope>(
    around.status === "ready" ? around.data.events.map((event) => [event.id, event]) : [],
  );
  const [open, setOpen] = useState<{ readonly event: AuditEnvelope; readonly opener: HTMLElement } | null>(
    null,
  );
  const [error, setError] = useState<string | undefined>(undefined);

  async function openEvent(id: string, opener: HTMLElement): Promise<void> {
    const found = known.get(id);
    if (found !== undefined) {
      setError(undefined);
      setOpen({ event: found, opener });
      return;
    }
    try {
      const proof = await api.get<AuditInclusionProof>(`/api/audit/events/${encodeURIComponent(id)}/proof`);
      setError(undefined);
      setOpen({ event: proof.event, opener });
    } catch (failure) {
      setError(`Event ${id} could not be loaded: ${asProblem(failure).detail}`);
    }
  }

  return (
    <>
      <p className="hint">
        The events the alert rests on (at most 50, oldest first). Each opens with its inclusion proof;{" "}
        <AppLink to={`/ui/audit-log?q=${encodeURIComponent(created)}`}>
          search the audit log for this time
        </AppLink>
        .
      </p>
      <FormError message={error} />
      <TableScroll label="Evidence events">
        <table data-testid="alert-evidence">
          <thead>
            <tr>
              <th scope="col">Seq</th>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
            </tr>
          </thead>
          <tbody>
            {alert.evidence.map((item) => {
              const event = known.get(item.id);
              return (
                <tr key={item.id} data-seq={item.seq}>
                  <td>{item.seq}</td>
                  <td>{event === undefined ? "—" : <DateText value={event.timestamp} utc />}</td>
                  <th scope="row">
                    <button
                      type="button"
                      className="link-button"
                      aria-haspopup="dialog"
                      data-event-id={item.id}
                      onClick={(click) => void openEvent(item.id, click.currentTarget)}
                    >
                      {event === undefined ? item.id : `${event.event}/${event.action}`}
                    </button>
                  </th>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
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
