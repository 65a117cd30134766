import type { ReactNode } from "react";
import type { IntegrityConflict, NameConflict, UpstreamReport } from "../api/api-types.ts";
import { DateText } from "../components/date-text.tsx";
import { TableScroll } from "../components/table-scroll.tsx";

/** A composer upstream's recent answers (as this node saw them) and what the store holds of it. */
export function UpstreamHealth({ report }: { readonly report: UpstreamReport }): ReactNode {
  const cooling = report.coolingDownUntil !== null && Date.parse(report.coolingDownUntil) > Date.now();
  return (
    <dl className="details compact">
      <div>
        <dt>Last success</dt>
        <dd>
          <DateText value={report.lastSuccessAt} none="never" />
        </dd>
      </div>
      <div>
        <dt>Last failure</dt>
        <dd>
          <DateText value={report.lastFailureAt} none="never" />
          {report.lastError === null ? null : <p className="sync-error">{report.lastError}</p>}
        </dd>
      </div>
      <div>
        <dt>Failures in a row</dt>
        <dd>{report.consecutiveFailures}</dd>
      </div>
      <div>
        <dt>Cooling down</dt>
        <dd>
          {cooling ? (
            <>
              until <DateText value={report.coolingDownUntil} /> (stored answers are served)
            </>
          ) : (
            "no"
          )}
        </dd>
      </div>
      <div>
        <dt>Stored</dt>
        <dd>
          {report.cachedPackages} packages, {report.cachedDists} dists
        </dd>
      </div>
      <div>
        <dt>Integrity conflicts</dt>
        <dd>{report.integrityConflicts}</dd>
      </div>
    </dl>
  );
}

/** Versions the upstream served differently after the broker first saw them. */
export function IntegrityConflicts({
  conflicts,
}: {
  readonly conflicts: readonly IntegrityConflict[];
}): ReactNode {
  return (
    <TableScroll label="Integrity conflicts table">
      <table>
        <caption className="visually-hidden">Integrity conflicts</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Kept (first seen)</th>
            <th scope="col">Served later</th>
          </tr>
        </thead>
        <tbody>
          {conflicts.map((conflict) => (
            <tr key={`${conflict.package}@${conflict.version}`}>
              <th scope="row">
                {conflict.package} {conflict.version}
              </th>
              <td className="break">
                <code>{conflict.firstSeen.reference ?? conflict.firstSeen.shasum ?? "—"}</code>
                <p className="hint">
                  <DateText value={conflict.firstSeenAt} />
                </p>
              </td>
              <td className="break">
                <code>{conflict.conflicting.reference ?? conflict.conflicting.shasum ?? "—"}</code>
                <p className="hint">
                  <DateText value={conflict.seenAt} none="" />
                </p>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

/** Package names this upstream shares with another one, and which of the two serves each. */
export function NameConflicts({ conflicts }: { readonly conflicts: readonly NameConflict[] }): ReactNode {
  return (
    <ul className="plain-list" aria-label="Name conflicts">
      {conflicts.map((conflict) => (
        <li key={`${conflict.package}:${conflict.shadowed.id}`}>
          <code>{conflict.package}</code>: served by {conflict.servedBy.name}, not asked of{" "}
          {conflict.shadowed.name}{" "}
          <span className="hint">
            (since <DateText value={conflict.firstSeenAt} />)
          </span>
        </li>
      ))}
    </ul>
  );
}
