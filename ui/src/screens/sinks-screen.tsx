import type { ReactNode } from "react";
import type { AuditSink } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { LoadState } from "../components/load-state.tsx";

/** Where the audit log is forwarded, and how far behind each receiver is. */
export function SinksScreen(): ReactNode {
  const { api } = useSession();
  const sinks = useApiData<{ sinks: AuditSink[] }>(api, "/api/audit/sinks");
  return (
    <>
      <h1 tabIndex={-1}>Sinks</h1>
      <p className="lead">
        Add sinks with <code>package-broker audit sink add</code> or <code>POST /api/audit/sinks</code>.
      </p>
      <section className="panel" aria-labelledby="sink-list-heading">
        <h2 id="sink-list-heading">Audit sinks</h2>
        <LoadState
          loaded={sinks}
          what="sinks"
          isEmpty={(data) => data.sinks.length === 0}
          empty={<p>No sinks yet: the audit log is kept in the database only.</p>}
        >
          {(data) => (
            <div className="table-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Sink</th>
                    <th scope="col">State</th>
                    <th scope="col">Lag</th>
                    <th scope="col">Delivered</th>
                    <th scope="col">Last success</th>
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
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </LoadState>
      </section>
    </>
  );
}
