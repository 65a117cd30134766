import { useState, type ReactNode } from "react";
import { roleAllows } from "../access/role-permissions.ts";
import type { AlertPage } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { LoadState } from "../components/load-state.tsx";
import { AlertDetails } from "./alert-details.tsx";

/**
 * What the alert rules raised; each opens in place with its rule, response, notifications and
 * evidence events, and admins acknowledge it there with a note.
 */
export function AlertsScreen(): ReactNode {
  const { api, session } = useSession();
  const [status, setStatus] = useState<"open" | "acknowledged">("open");
  const alerts = useApiData<AlertPage>(api, `/api/alerts?status=${status}&limit=100`);
  const mayAcknowledge = roleAllows(session.user.role, "settings:manage");
  const [expanded, setExpanded] = useState<string | null>(null);
  const [notice, setNotice] = useState("");

  return (
    <>
      <h1 tabIndex={-1}>Alerts</h1>
      <div className="actions tabs" role="group" aria-label="Which alerts">
        {(["open", "acknowledged"] as const).map((item) => (
          <button
            key={item}
            type="button"
            aria-pressed={status === item}
            onClick={() => {
              setStatus(item);
              setExpanded(null);
              setNotice("");
            }}
          >
            {item === "open" ? "Open" : "Acknowledged"}
          </button>
        ))}
      </div>
      <section className="panel" aria-labelledby="alert-list-heading">
        <h2 id="alert-list-heading">{status === "open" ? "Open alerts" : "Acknowledged alerts"}</h2>
        <p role="status" className="hint" data-testid="alerts-notice">
          {notice}
        </p>
        <LoadState
          loaded={alerts}
          what="alerts"
          isEmpty={(page) => page.alerts.length === 0}
          empty={<p>No {status} alerts.</p>}
        >
          {(page) => (
            <ul className="plain-list">
              {page.alerts.map((alert) => (
                <li key={alert.id}>
                  <span className={`badge badge-${alert.level}`}>{alert.level}</span>{" "}
                  <strong>{alert.title}</strong>{" "}
                  <span className="hint">
                    ({alert.count} {alert.count === 1 ? "event" : "events"}, fired{" "}
                    <DateText value={alert.firedAt} />)
                  </span>
                  <p>
                    <button
                      type="button"
                      aria-expanded={expanded === alert.id}
                      aria-controls={`alert-${alert.id}`}
                      onClick={() => {
                        setExpanded(expanded === alert.id ? null : alert.id);
                      }}
                    >
                      {expanded === alert.id ? "Hide details" : "Details"}
                      <span className="visually-hidden"> of {alert.title}</span>
                    </button>
                  </p>
                  <div id={`alert-${alert.id}`}>
                    {expanded === alert.id ? (
                      <AlertDetails
                        alertId={alert.id}
                        mayAcknowledge={mayAcknowledge}
                        onAcknowledged={() => {
                          setNotice(`Acknowledged: ${alert.title}.`);
                          setExpanded(null);
                          alerts.reload();
                        }}
                      />
                    ) : null}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </LoadState>
      </section>
    </>
  );
}
