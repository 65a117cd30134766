import { useState, type ReactNode } from "react";
import type { CreatedToken } from "../api/api-types.ts";

/** A new token's secret, shown this once, with a copy button and the auth.json that uses it. */
export function CreatedTokenNotice({
  token,
  onDismiss,
}: {
  readonly token: CreatedToken;
  readonly onDismiss: () => void;
}): ReactNode {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const authJson = JSON.stringify(
    { "http-basic": { [window.location.host]: { username: "token", password: token.token } } },
    null,
    2,
  );
  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  }
  return (
    <section className="panel notice" aria-labelledby="created-heading">
      <h2 id="created-heading">Token created: copy it now</h2>
      <p>The secret of “{token.description}” is shown only this once.</p>
      <div className="secret">
        <label htmlFor="token-secret">Secret</label>
        <input id="token-secret" readOnly value={token.token} data-testid="token-secret" />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p role="status" className="hint">
        {copied === "yes"
          ? "Copied."
          : copied === "failed"
            ? "Copying failed: select the secret and copy it."
            : ""}
      </p>
      <p>
        For Composer, put this in <code>auth.json</code> beside <code>composer.json</code> (keep it out of
        version control):
      </p>
      <pre tabIndex={0} aria-label="auth.json">
        {authJson}
      </pre>
      <button type="button" onClick={onDismiss}>
        Done
      </button>
    </section>
  );
}
