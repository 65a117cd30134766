import { useState, type ReactNode, type SyntheticEvent } from "react";
import type { LegalHold } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem } from "../api/use-api-data.ts";
import { ConfirmAction } from "../components/confirm-action.tsx";
import { ConfirmBox } from "../components/confirm-box.tsx";
import { DateText } from "../components/date-text.tsx";
import { FormError } from "../components/form-error.tsx";
import { TextField } from "../components/text-field.tsx";
import { fieldErrorsOf, type FieldErrors } from "../forms/field-errors.ts";

const MAX_REASON = 500;

/** The legal hold: while it is in force nothing is purged. Placing it needs a reason. */
export function LegalHoldPanel({
  hold,
  onChanged,
}: {
  readonly hold: LegalHold;
  readonly onChanged: () => void;
}): ReactNode {
  const { api } = useSession();
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<FieldErrors<"reason">>({});
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState("");

  function review(event: SyntheticEvent<HTMLFormElement>): void {
    event.preventDefault();
    const text = reason.trim();
    const invalid: FieldErrors<"reason"> =
      text === "" || text.length > MAX_REASON
        ? { reason: `Say why, in 1 to ${MAX_REASON} characters (a case number, a request).` }
        : {};
    setErrors(invalid);
    setDone("");
    setConfirming(invalid.reason === undefined);
  }

  async function place(): Promise<void> {
    setBusy(true);
    try {
      await api.send("POST", "/api/audit/retention/legal-hold", { reason: reason.trim() });
      setErrors({});
      setReason("");
      setDone("Legal hold placed.");
      onChanged();
    } catch (error) {
      setErrors(fieldErrorsOf(asProblem(error), ["reason"], { InvalidReason: "reason" }));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="legal-hold-heading">
      <h2 id="legal-hold-heading">Legal hold</h2>
      {hold.active ? (
        <>
          <p>
            In force since <DateText value={hold.since} />: {hold.reason}
          </p>
          <p className="hint">Nothing is purged while it is in force.</p>
          <ConfirmAction
            id="release-legal-hold"
            label="Release the legal hold"
            question="Release the legal hold? The next purge clears payloads past their retention."
            confirmLabel="Yes, release it"
            danger
            onConfirm={async () => {
              await api.send("DELETE", "/api/audit/retention/legal-hold");
              setDone("Legal hold released.");
              onChanged();
            }}
          />
        </>
      ) : (
        <form noValidate onSubmit={review} aria-labelledby="legal-hold-heading">
          <p className="hint">None. Place one to stop every purge, for an investigation or a court order.</p>
          <FormError message={errors.form} />
          <TextField
            id="legal-hold-reason"
            label="Reason"
            required
            value={reason}
            onChange={(value) => {
              setReason(value);
              setConfirming(false);
            }}
            error={errors.reason}
          />
          {confirming ? (
            <ConfirmBox
              label="Confirm the legal hold"
              question={`Place a legal hold (“${reason.trim()}”)? No audit payload is purged until it is released.`}
              confirmLabel="Yes, place the hold"
              busy={busy}
              onConfirm={() => void place()}
              onCancel={() => {
                setConfirming(false);
              }}
            />
          ) : (
            <div className="actions">
              <button type="submit" className="primary">
                Place legal hold
              </button>
            </div>
          )}
        </form>
      )}
      <p role="status" className="hint">
        {done}
      </p>
    </section>
  );
}
