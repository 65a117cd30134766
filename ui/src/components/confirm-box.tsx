import { useEffect, useRef, type ReactNode } from "react";

/**
 * The question asked before a change is sent: "Yes, …" or "Cancel". It takes the focus when it
 * appears, so that a screen reader reads the question and the next Tab reaches "Yes".
 */
export function ConfirmBox(props: {
  readonly question: ReactNode;
  /** The group's name for screen readers. */
  readonly label: string;
  readonly confirmLabel: string;
  readonly busy: boolean;
  readonly danger?: boolean;
  /** What the "Yes" button is described by (an error shown under it). */
  readonly describedBy?: string | undefined;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}): ReactNode {
  const groupRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    groupRef.current?.focus();
  }, []);
  return (
    <div className="confirm-box" role="group" aria-label={props.label} tabIndex={-1} ref={groupRef}>
      <p>{props.question}</p>
      <div className="actions">
        <button
          type="button"
          className={props.danger === true ? "danger" : "primary"}
          disabled={props.busy}
          aria-describedby={props.describedBy}
          onClick={props.onConfirm}
        >
          {props.busy ? "Working…" : props.confirmLabel}
        </button>
        <button type="button" disabled={props.busy} onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
