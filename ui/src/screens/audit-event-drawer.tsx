import { useEffect, useRef, type ReactNode } from "react";
import type { AuditEnvelope } from "../api/audit-types.ts";
import { useSession } from "../api/session-context.ts";
import { useEventProof, type EventProofState } from "../audit-proof/use-event-proof.ts";

const REASONS: Record<string, string> = {
  "bad-key": "the verifier key is not valid",
  "bad-checkpoint": "the checkpoint cannot be read",
  "bad-signature": "the checkpoint's signature does not verify with the log's key",
  "wrong-origin": "the checkpoint is of another log",
  "wrong-size": "the proof is for another tree than the checkpoint's",
  "leaf-mismatch": "the event does not hash to the proven leaf",
  "not-included": "the proof does not lead to the checkpoint's root",
};

/**
 * One audit event in a modal side panel: every member of the event, and its inclusion proof
 * checked in the browser against the latest signed checkpoint. Escape or Close shuts it and the
 * focus goes back to `returnFocus` (the row's button).
 */
export function AuditEventDrawer(props: {
  readonly event: AuditEnvelope;
  readonly returnFocus: HTMLElement | null;
  readonly onClose: () => void;
}): ReactNode {
  const { api } = useSession();
  const dialog = useRef<HTMLDialogElement>(null);
  const { returnFocus } = props;
  useEffect(() => {
    const element = dialog.current;
    if (element !== null && !element.open) element.showModal();
    return () => {
      if (element?.open === true) element.close();
      returnFocus?.focus();
    };
  }, [returnFocus]);
  const proof = useEventProof(api, props.event);
  const titleId = "audit-event-title";
  return (
    <dialog ref={dialog} className="audit-drawer" aria-labelledby={titleId} onClose={props.onClose}>
      <div className="audit-drawer-head">
        <h2 id={titleId}>
          Event #{props.event.seq}: {props.event.event}/{props.event.action}
        </h2>
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
      <section aria-labelledby="audit-proof-heading">
        <h3 id="audit-proof-heading">Inclusion proof</h3>
        <ProofResult state={proof} />
      </section>
      <section aria-labelledby="audit-fields-heading">
        <h3 id="audit-fields-heading">Fields</h3>
        <dl className="details audit-fields">
          {Object.entries(props.event as unknown as Readonly<Record<string, unknown>>).map(
            ([name, value]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>
                  <FieldValue value={value} />
                </dd>
              </div>
            ),
          )}
        </dl>
      </section>
    </dialog>
  );
}

function FieldValue({ value }: { readonly value: unknown }): ReactNode {
  if (value === null) return <span className="hint">null</span>;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return <>{String(value)}</>;
  return <pre className="audit-json">{JSON.stringify(value, null, 2)}</pre>;
}

function ProofResult({ state }: { readonly state: EventProofState }): ReactNode {
  if (state.status === "checking") {
    return (
      <p role="status" className="state state-loading">
        Checking the inclusion proof…
      </p>
    );
  }
  if (state.status === "unavailable") {
    return (
      <p role="alert" className="audit-proof audit-proof-failed" data-testid="audit-proof-result">
        Could not check the proof: {state.detail}
      </p>
    );
  }
  const { result, proof } = state;
  if (!result.ok) {
    return (
      <div role="alert" className="audit-proof audit-proof-failed" data-testid="audit-proof-result">
        <p>
          <strong>Not verified:</strong> {REASONS[result.reason] ?? result.reason} ({result.detail}).
        </p>
      </div>
    );
  }
  return (
    <div role="status" className="audit-proof audit-proof-ok" data-testid="audit-proof-result">
      <p>
        <strong>
          Verified against checkpoint {result.checkpointSize} (signed by {result.signedBy})
        </strong>
      </p>
      <dl className="details compact">
        <div>
          <dt>Leaf</dt>
          <dd>
            {proof.leafIndex} <code className="break">{result.leafHash}</code>
          </dd>
        </div>
        <div>
          <dt>Proof</dt>
          <dd>
            {proof.proof.length} hash{proof.proof.length === 1 ? "" : "es"}, checked here with WebCrypto
          </dd>
        </div>
      </dl>
    </div>
  );
}
