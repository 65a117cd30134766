import type { ReactNode } from "react";
import type { JobStatus } from "../api/package-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { LoadState } from "../components/load-state.tsx";
import { TableScroll } from "../components/table-scroll.tsx";

/** The background jobs (GET /api/jobs): whether a process holds each, which, and the latest run. */
export function JobsPanel(): ReactNode {
  const { api } = useSession();
  const loaded = useApiData<{ jobs: readonly JobStatus[] }>(api, "/api/jobs");
  return (
    <section className="panel wide" aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Background jobs</h2>
      <LoadState
        loaded={loaded}
        what="the background jobs"
        isEmpty={(data) => data.jobs.length === 0}
        empty={<p>No background jobs.</p>}
      >
        {(data) => (
          <TableScroll label="Background jobs table">
            <table className="jobs-table" data-testid="jobs-table">
              <caption className="visually-hidden">
                Background jobs, who runs them and their latest run
              </caption>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">State</th>
                  <th scope="col">Holder</th>
                  <th scope="col">Last run</th>
                </tr>
              </thead>
              <tbody>
                {data.jobs.map((job) => (
                  <tr key={job.name}>
                    <th scope="row">
                      <code>{job.name}</code>
                      <p className="hint">{job.description}</p>
                    </th>
                    <td>
                      <span className={`badge job-state-${job.state}`}>{job.state}</span>
                    </td>
                    <td>{job.holder === null ? "—" : <code className="hash-text">{job.holder}</code>}</td>
                    <td>
                      {job.lastRun === null ? (
                        "none yet"
                      ) : (
                        <>
                          <span
                            className={`badge ${job.lastRun.outcome === "failed" ? "badge-error" : "badge-ok"}`}
                          >
                            {job.lastRun.outcome}
                          </span>{" "}
                          <DateText value={job.lastRun.finishedAt} />
                          {job.lastRun.error === null ? null : <p className="hint">{job.lastRun.error}</p>}
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </LoadState>
    </section>
  );
}
