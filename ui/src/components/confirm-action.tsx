import { useEffect, useRef, useState, type ReactNode } from "react";
import { asProblem } from "../api/use-api-data.ts";
import { ConfirmBox } from "./confirm-box.tsx";

/**
 * A change that asks first: the button opens a question with "Yes, …" and "Cancel"; the change
 * runs only on "Yes". The API's refusal is shown right under it (announced), with its code.
 */
export function ConfirmAction(props: {
  /** Base of the element ids (`${id}-error`). */
  readonly id: string;
  /** The first button's text. */
  readonly label: string;
  /** What the first button does to what, for screen readers ("Block Jane"). */
  readonly accessibleLabel?: string;
  /** The question asked before the change ("Block Jane? Their sessions end at once."). */
  readonly question: string;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  readonly disabled?: boolean;
  readonly onConfirm: () => Promise<void>;
}): ReactNode {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const errorId = `${props.id}-error`;
  const triggerRef = useRef<HTMLButtonElement>(null);
  /** Set when the question closes: the focus goes back to the first button (if it is still there). */
  const returnFocus = useRef(false);
  useEffect(() => {
    if (!open && returnFocus.current) {
      returnFocus.current = false;
      triggerRef.current?.focus();
    }
  }, [open]);

  async function confirm(): Promise<void> {
    setBusy(true);
    try {
      await props.onConfirm();
      setError(undefined);
      returnFocus.current = true;
      setOpen(false);
    } catch (failure) {
      const problem = asProblem(failure);
      setError(problem.code === "HttpError" ? problem.detail : `${problem.detail} (${problem.code})`);
      returnFocus.current = true;
      setOpen(false);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="confirm-action">
      {open ? (
        <ConfirmBox
          label={props.question}
          question={props.question}
          confirmLabel={props.confirmLabel}
          busy={busy}
          danger={props.danger === true}
          describedBy={error === undefined ? undefined : errorId}
          onConfirm={() => void confirm()}
          onCancel={() => {
            setOpen(false);
            setError(undefined);
            returnFocus.current = true;
          }}
        />
      ) : (
        <button
          ref={triggerRef}
          type="button"
          disabled={props.disabled}
          aria-describedby={error === undefined ? undefined : errorId}
          aria-label={props.accessibleLabel}
          onClick={() => {
            setOpen(true);
            setError(undefined);
          }}
        >
          {props.label}
        </button>
      )}
      <div role="alert">
        {error === undefined ? null : (
          <p className="field-error" id={errorId}>
            {error}
          </p>
        )}
      </div>
    </div>
  );
}
