import { useState, type ReactNode } from "react";

/** A snippet to paste somewhere (a command, a file), with a button that copies it. */
export function CopyBlock(props: {
  readonly id: string;
  /** What the snippet is, for its label and the copy button ("composer.json"). */
  readonly label: string;
  readonly text: string;
}): ReactNode {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(props.text);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  }
  return (
    <div className="copy-block">
      <div className="copy-block-head">
        <h3 id={`${props.id}-label`}>{props.label}</h3>
        <button type="button" onClick={() => void copy()} aria-describedby={`${props.id}-label`}>
          Copy
        </button>
        <span role="status" className="hint" data-testid={`${props.id}-copied`}>
          {copied === "yes"
            ? "Copied."
            : copied === "failed"
              ? "Copying failed: select the text and copy it."
              : ""}
        </span>
      </div>
      <pre id={props.id} tabIndex={0} aria-labelledby={`${props.id}-label`}>
        {props.text}
      </pre>
    </div>
  );
}
