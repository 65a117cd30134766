import { useState, type ReactNode } from "react";
import type { AuditVerification } from "../api/api-types.ts";
import { AUDIT_EXPORT_FORMATS } from "../api/audit-types.ts";
import { useSession } from "../api/session-context.ts";
import { useApiData } from "../api/use-api-data.ts";

/**
 * Downloads of the current search in every export format (GET /api/audit/export, with the
 * session cookie), and the verification of the whole log on demand (GET /api/audit/verify).
 */
export function AuditExportPanel({ query }: { readonly query: string }): ReactNode {
  const { api } = useSession();
  const [verifying, setVerifying] = useState(false);
  const verification = useApiData<AuditVerification>(api, verifying ? "/api/audit/verify" : null);
  return (
    <section className="panel" aria-labelledby="audit-export-heading">
      <h2 id="audit-export-heading">Export and verify</h2>
      <p className="hint">
        {query === "" ? (
          "Every event"
        ) : (
          <>
            The events of the search <code className="break">{query}</code>
          </>
        )}
        , oldest first. The verifiable bundle carries each event&apos;s inclusion proof and the signed
        checkpoint.
      </p>
      <ul className="audit-exports">
        {AUDIT_EXPORT_FORMATS.map(({ format, label }) => {
          const params = new URLSearchParams({ format });
          if (query !== "") params.set("q", query);
          return (
            <li key={format}>
              <a
                className="button"
                href={`/api/audit/export?${params.toString()}`}
                download
                data-format={format}
              >
                {label}
              </a>
            </li>
          );
        })}
      </ul>
      <div className="actions">
        <button
          type="button"
          disabled={verifying && verification.status === "loading"}
          onClick={() => {
            if (verifying) verification.reload();
            else setVerifying(true);
          }}
        >
          Verify the whole log
        </button>
      </div>
      {!verifying ? null : <VerificationResult verification={verification} />}
    </section>
  );
}

function VerificationResult({
  verification,
}: {
  readonly verification: ReturnType<typeof useApiData<AuditVerification>>;
}): ReactNode {
  if (verification.status === "loading") {
    return (
      <p role="status" className="state state-loading">
        Verifying every event…
      </p>
    );
  }
  if (verification.status === "error") {
    return (
      <p role="alert" className="audit-proof audit-proof-failed" data-testid="audit-log-verification">
        Could not verify the log: {verification.problem.detail}
      </p>
    );
  }
  const result = verification.data;
  if (!result.ok) {
    return (
      <p role="alert" className="audit-proof audit-proof-failed" data-testid="audit-log-verification">
        <strong>The log does not verify</strong> at event #{result.firstBadSeq}: {result.reason} (
        {result.detail}).
      </p>
    );
  }
  return (
    <p role="status" className="audit-proof audit-proof-ok" data-testid="audit-log-verification">
      <strong>The whole log verifies:</strong> {result.size} events
      {result.checkpoint === null
        ? ", no signed checkpoint yet"
        : `, the latest signed checkpoint (${result.checkpoint.size} events) matches`}
      .
    </p>
  );
}
