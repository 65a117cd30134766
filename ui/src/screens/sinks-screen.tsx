import { useState, type ReactNode } from "react";
import { roleAllows } from "../access/role-permissions.ts";
import type { AuditSink } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { LoadState } from "../components/load-state.tsx";
import { SinkActions } from "./sink-actions.tsx";
import { SinkAddForm } from "./sink-add-form.tsx";
import { TableScroll } from "../components/table-scroll.tsx";

/**
 * Where the audit log is forwarded, and how far behind each receiver is; for admins adding a
 * sink, sending a test event, pausing, resuming and removing one.
 */
export function SinksScreen(): ReactNode {
  const { api, session } = useSession();
  const sinks = useApiData<{ sinks: AuditSink[] }>(api, "/api/audit/sinks");
  const mayManage = roleAllows(session.user.role, "settings:manage");
  const [added, setAdded] = useState("");
  return (
    <>
      <h1 tabIndex={-1}>Sinks</h1>
      <p className="lead">
        {mayManage
          ? "Receivers of the audit log: SIEMs, log stores, webhooks."
          : "Receivers of the audit log. Admins add and change them."}
      </p>
      <p role="status" className="hint">
        {added}
      </p>
      <div className="panels">
        <section className="panel wide" aria-labelledby="sink-list-heading">
          <h2 id="sink-list-heading">Audit sinks</h2>
          <LoadState
            loaded={sinks}
            what="sinks"
            isEmpty={(data) => data.sinks.length === 0}
            empty={<p>No sinks yet: the audit log is kept in the database only.</p>}
          >
            {(data) => (
              <TableScroll label="Audit sinks table">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Sink</th>
                      <th scope="col">State</th>
                      <th scope="col">Lag</th>
                      <th scope="col">Delivered</th>
                      <th scope="col">Last success</th>
                      {mayManage ? <th scope="col">Actions</th> : null}
                    </tr>
                  </thead>
                  <tbody>
                    {data.sinks.map((sink) => (
                      <tr key={sink.id}>
                        <th scope="row">
                          {sink.name} <span className="hint">({sink.type})</span>
                          <p className="hint break">{sink.url}</p>
                        </th>
                        <td>
                          <span
                            className={`badge badge-${sink.paused || sink.lastError !== null ? "error" : "ok"}`}
                          >
                            {sink.paused ? "paused" : sink.lastError === null ? "delivering" : "failing"}
                          </span>
                          {sink.lastError === null ? null : <p className="hint">{sink.lastError}</p>}
                        </td>
                        <td>
                          {sink.lag.events} events, {sink.lag.seconds} s
                        </td>
                        <td>{sink.delivered}</td>
                        <td>
                          <DateText value={sink.lastSuccessAt} none="never" />
                        </td>
                        {mayManage ? (
                          <td>
                            <SinkActions sink={sink} onChanged={sinks.reload} />
                          </td>
                        ) : null}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            )}
          </LoadState>
        </section>
        {mayManage ? (
          <section className="panel">
            <SinkAddForm
              onAdded={(sink) => {
                setAdded(`${sink.name} added: delivery starts within a second.`);
                sinks.reload();
              }}
            />
          </section>
        ) : null}
      </div>
    </>
  );
}
