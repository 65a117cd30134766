import type { ChangeEvent, ReactNode, Ref } from "react";

/**
 * A labelled input with its hint and its error beside it: the error is announced with the field
 * (aria-describedby) and marks it invalid.
 */
export function TextField(props: {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly type?: "text" | "email" | "password" | "date" | "search";
  readonly autoComplete?: string;
  readonly inputMode?: "numeric" | "text" | "email";
  readonly required?: boolean;
  readonly hint?: string | undefined;
  readonly error?: string | undefined;
  readonly multiline?: boolean;
  readonly inputRef?: Ref<HTMLInputElement>;
}): ReactNode {
  const hintId = `${props.id}-hint`;
  const errorId = `${props.id}-error`;
  const described = [props.hint === undefined ? null : hintId, props.error === undefined ? null : errorId]
    .filter((id) => id !== null)
    .join(" ");
  const common = {
    id: props.id,
    name: props.id,
    value: props.value,
    required: props.required,
    "aria-invalid": props.error === undefined ? undefined : true,
    "aria-describedby": described === "" ? undefined : described,
    onChange: (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      props.onChange(event.target.value);
    },
  };
  return (
    <div className="field">
      <label htmlFor={props.id}>
        {props.label}
        {props.required === true ? null : <span className="optional"> (optional)</span>}
      </label>
      {props.hint === undefined ? null : (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {props.multiline === true ? (
        <textarea {...common} rows={3} />
      ) : (
        <input
          {...common}
          ref={props.inputRef}
          type={props.type ?? "text"}
          autoComplete={props.autoComplete}
          inputMode={props.inputMode}
        />
      )}
      {props.error === undefined ? null : (
        <p className="field-error" id={errorId}>
          {props.error}
        </p>
      )}
    </div>
  );
}
