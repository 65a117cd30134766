import { useState, type ReactNode, type SyntheticEvent } from "react";
import { useSession } from "../api/session-context.ts";
import { asProblem } from "../api/use-api-data.ts";
import { ConfirmBox } from "../components/confirm-box.tsx";
import { FormError } from "../components/form-error.tsx";
import type { FieldErrors } from "../forms/field-errors.ts";
import { pathErrorsOf } from "../forms/path-errors.ts";

const MIN_DAYS = 1;
const MAX_DAYS = 36_500;

/** The categories whose days differ from the stored ones, as numbers. */
function changesOf(current: Readonly<Record<string, number>>, input: Readonly<Record<string, string>>) {
  return Object.entries(input)
    .filter(([category, text]) => text.trim() !== String(current[category]))
    .map(([category, text]) => [category, Number(text.trim())] as const);
}

/** `audit.retentionDays`: how many days each category's events keep their payload. */
export function RetentionForm({
  current,
  onSaved,
}: {
  readonly current: Readonly<Record<string, number>>;
  readonly onSaved: () => void;
}): ReactNode {
  const { api } = useSession();
  const [input, setInput] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(current).map(([category, days]) => [category, String(days)])),
  );
  const [errors, setErrors] = useState<FieldErrors<string>>({});
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState("");
  const changes = changesOf(current, input);

  function review(event: SyntheticEvent<HTMLFormElement>): void {
    event.preventDefault();
    const invalid: FieldErrors<string> = {};
    for (const [category, text] of Object.entries(input)) {
      const value = text.trim();
      if (!/^\d+$/.test(value) || Number(value) < MIN_DAYS || Number(value) > MAX_DAYS)
        invalid[category] = `A whole number of days, ${MIN_DAYS} to ${MAX_DAYS}.`;
    }
    if (Object.keys(invalid).length === 0 && changes.length === 0) invalid.form = "Nothing changed.";
    setErrors(invalid);
    setSaved("");
    setConfirming(Object.keys(invalid).length === 0);
  }

  async function save(): Promise<void> {
    setBusy(true);
    try {
      await api.send("PATCH", "/api/settings", {
        audit: { retentionDays: Object.fromEntries(changes) },
      });
      setErrors({});
      setSaved("Retention saved.");
      onSaved();
    } catch (error) {
      setErrors(pathErrorsOf(asProblem(error), "audit.retentionDays."));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  return (
    <form noValidate onSubmit={review} aria-labelledby="retention-heading">
      <h2 id="retention-heading">Audit retention</h2>
      <p className="hint">
        Days each category&apos;s events keep their payload; their hashes stay, so the log still verifies.
      </p>
      <FormError message={errors.form} />
      <div className="retention-grid">
        {Object.keys(input).map((category) => {
          const id = `retention-${category}`;
          const error = errors[category];
          return (
            <div className="field" key={category}>
              <label htmlFor={id}>{category}</label>
              <input
                id={id}
                inputMode="numeric"
                value={input[category] ?? ""}
                aria-invalid={error === undefined ? undefined : true}
                aria-describedby={error === undefined ? undefined : `${id}-error`}
                onChange={(event) => {
                  const value = event.target.value;
                  setInput((previous) => ({ ...previous, [category]: value }));
                  setConfirming(false);
                }}
              />
              {error === undefined ? null : (
                <p className="field-error" id={`${id}-error`}>
                  {error}
                </p>
              )}
            </div>
          );
        })}
      </div>
      {confirming ? (
        <ConfirmBox
          label="Confirm the retention"
          question={`Keep ${changes.map(([category, days]) => `${category} for ${days} days`).join(", ")}? Shorter periods let the next purge clear older payloads.`}
          confirmLabel="Yes, save retention"
          busy={busy}
          onConfirm={() => void save()}
          onCancel={() => {
            setConfirming(false);
          }}
        />
      ) : (
        <div className="actions">
          <button type="submit" className="primary">
            Save retention
          </button>
        </div>
      )}
      <p role="status" className="hint">
        {saved}
      </p>
    </form>
  );
}
