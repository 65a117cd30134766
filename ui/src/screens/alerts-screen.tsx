import { useState, type ReactNode } from "react";
import { roleAllows } from "../access/role-permissions.ts";
import type { Alert, AlertPage } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem, useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { FormError } from "../components/form-error.tsx";
import { LoadState } from "../components/load-state.tsx";

/** What the alert rules raised; acknowledging one (admins). */
export function AlertsScreen(): ReactNode {
  const { api, session } = useSession();
  const [status, setStatus] = useState<"open" | "acknowledged">("open");
  const alerts = useApiData<AlertPage>(api, `/api/alerts?status=${status}&limit=100`);
  const mayAcknowledge = roleAllows(session.user.role, "settings:manage");
  const [error, setError] = useState<string | undefined>(undefined);

  async function acknowledge(alert: Alert): Promise<void> {
    try {
      await api.send("POST", `/api/alerts/${encodeURIComponent(alert.id)}/acknowledge`, {});
      setError(undefined);
      alerts.reload();
    } catch (failure) {
      setError(asProblem(failure).detail);
    }
  }

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
            }}
          >
            {item === "open" ? "Open" : "Acknowledged"}
          </button>
        ))}
      </div>
      <section className="panel" aria-labelledby="alert-list-heading">
        <h2 id="alert-list-heading">{status === "open" ? "Open alerts" : "Acknowledged alerts"}</h2>
        <FormError message={error} />
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
                  {mayAcknowledge && alert.status === "open" ? (
                    <p>
                      <button type="button" onClick={() => void acknowledge(alert)}>
                        Acknowledge<span className="visually-hidden"> {alert.title}</span>
                      </button>
                    </p>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </LoadState>
      </section>
    </>
  );
}
