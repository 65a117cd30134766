import { useState, type ReactNode, type SyntheticEvent } from "react";
import type { AlertDetail, AlertRuleList } from "../api/alert-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem, useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { FormError } from "../components/form-error.tsx";
import { LoadState } from "../components/load-state.tsx";
import { TableScroll } from "../components/table-scroll.tsx";
import { TextField } from "../components/text-field.tsx";
import { AlertEvidence } from "./alert-evidence.tsx";

const NOTE_MAX = 1000;

/**
 * One alert in full: its rule and the rule's description, the group it fired for, the response the
 * server took, each channel's notification, and the evidence events, each opening in the audit
 * event drawer (with its inclusion proof). Admins acknowledge it here, with a note.
 */
export function AlertDetails(props: {
  readonly alertId: string;
  readonly mayAcknowledge: boolean;
  readonly onAcknowledged: () => void;
}): ReactNode {
  const { api } = useSession();
  const alert = useApiData<AlertDetail>(api, `/api/alerts/${encodeURIComponent(props.alertId)}`);
  const rules = useApiData<AlertRuleList>(api, "/api/alerts/rules");
  return (
    <div className="alert-details" data-testid="alert-details">
      <LoadState loaded={alert} what="the alert">
        {(detail) => {
          const rule =
            rules.status === "ready" ? rules.data.rules.find((r) => r.id === detail.ruleId) : undefined;
          return (
            <>
              <dl className="details">
                <div>
                  <dt>Rule</dt>
                  <dd>
                    {detail.ruleName} <span className="hint">({detail.ruleId})</span>
                  </dd>
                </div>
                <div>
                  <dt>What the rule looks for</dt>
                  <dd data-testid="alert-rule-description">
                    {rules.status === "loading" ? (
                      <span className="state-loading">Loading…</span>
                    ) : (
                      (rule?.description ?? "No description.")
                    )}
                  </dd>
                </div>
                <div>
                  <dt>Group</dt>
                  <dd className="break">
                    {Object.entries(detail.group).length === 0
                      ? "—"
                      : Object.entries(detail.group)
                          .map(([field, value]) => `${field}: ${value}`)
                          .join(", ")}
                  </dd>
                </div>
                <div>
                  <dt>Events</dt>
                  <dd>
                    {detail.count}, from <DateText value={detail.firstTimestamp} /> to{" "}
                    <DateText value={detail.lastTimestamp} />
                  </dd>
                </div>
                <div>
                  <dt>Response</dt>
                  <dd data-testid="alert-response">
                    {detail.response === null ? (
                      "None (the rule only notifies)"
                    ) : (
                      <>
                        {detail.response.action}
                        {detail.response.subject === null ? "" : ` ${detail.response.subject}`}:{" "}
                        <span
                          className={`badge badge-${detail.response.outcome === "done" ? "ok" : "error"}`}
                        >
                          {detail.response.outcome}
                        </span>
                        {detail.response.error === null ? "" : ` (${detail.response.error})`}
                      </>
                    )}
                  </dd>
                </div>
                <div>
                  <dt>Status</dt>
                  <dd data-testid="alert-status">
                    {detail.status === "open" ? (
                      "open"
                    ) : (
                      <>
                        acknowledged
                        {detail.acknowledgedBy === null ? "" : ` by ${detail.acknowledgedBy}`}
                        {detail.acknowledgedAt === null ? null : (
                          <>
                            {" "}
                            on <DateText value={detail.acknowledgedAt} />
                          </>
                        )}
                        {detail.note === null || detail.note === "" ? "" : `: “${detail.note}”`}
                      </>
                    )}
                  </dd>
                </div>
              </dl>
              <h3>Notifications</h3>
              {detail.notifications.length === 0 ? (
                <p className="hint">No notification channel is configured.</p>
              ) : (
                <TableScroll label="Notifications">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Channel</th>
                        <th scope="col">Status</th>
                        <th scope="col">Attempts</th>
                        <th scope="col">When</th>
                      </tr>
                    </thead>
                    <tbody>
                      {detail.notifications.map((notification) => (
                        <tr key={notification.channel}>
                          <th scope="row">{notification.channel}</th>
                          <td>
                            <span
                              className={`badge badge-${notification.status === "sent" ? "ok" : notification.status === "failed" ? "error" : "medium"}`}
                            >
                              {notification.status}
                            </span>
                            {notification.error === null ? null : (
                              <span className="hint break"> {notification.error}</span>
                            )}
                          </td>
                          <td>{notification.attempts}</td>
                          <td>
                            {notification.sentAt !== null ? (
                              <>
                                sent <DateText value={notification.sentAt} />
                              </>
                            ) : notification.nextAttemptAt !== null ? (
                              <>
                                next try <DateText value={notification.nextAttemptAt} />
                              </>
                            ) : (
                              "—"
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableScroll>
              )}
              <h3>Evidence</h3>
              <AlertEvidence alert={detail} />
              {props.mayAcknowledge && detail.status === "open" ? (
                <AcknowledgeForm
                  alert={detail}
                  onDone={() => {
                    alert.reload();
                    props.onAcknowledged();
                  }}
                />
              ) : null}
            </>
          );
        }}
      </LoadState>
    </div>
  );
}

function AcknowledgeForm(props: { readonly alert: AlertDetail; readonly onDone: () => void }): ReactNode {
  const { api } = useSession();
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<{ note?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const fieldId = `ack-note-${props.alert.id}`;

  async function submit(event: SyntheticEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const trimmed = note.trim();
    if (trimmed.length > NOTE_MAX) {
      setErrors({
        note: `Keep the note to ${String(NOTE_MAX)} characters (it has ${String(trimmed.length)}).`,
      });
      return;
    }
    setBusy(true);
    try {
      await api.send("POST", `/api/alerts/${encodeURIComponent(props.alert.id)}/acknowledge`, {
        ...(trimmed === "" ? {} : { note: trimmed }),
      });
      setErrors({});
      props.onDone();
    } catch (error) {
      const problem = asProblem(error);
      setErrors({ form: problem.detail });
      if (problem.status === 409) props.onDone();
    } finally {
      setBusy(false);
    }
  }

  return (
    <form noValidate className="alert-acknowledge" onSubmit={(event) => void submit(event)}>
      <FormError message={errors.form} />
      <TextField
        id={fieldId}
        label="Note"
        hint="What was done about it; kept with the alert and in the audit log."
        multiline
        value={note}
        onChange={setNote}
        error={errors.note}
      />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Acknowledge<span className="visually-hidden"> {props.alert.title}</span>
        </button>
      </div>
    </form>
  );
}
