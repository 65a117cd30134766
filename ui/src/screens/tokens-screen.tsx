import { useState, type ReactNode } from "react";
import { roleAllows } from "../access/role-permissions.ts";
import type { CreatedToken, Token } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem, useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { FormError } from "../components/form-error.tsx";
import { LoadState } from "../components/load-state.tsx";
import { CreatedTokenNotice } from "./created-token-notice.tsx";
import { TokenCreateForm } from "./token-create-form.tsx";

function tokenState(token: Token, now: number): "revoked" | "expired" | "active" {
  if (token.revokedAt !== null) return "revoked";
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now) return "expired";
  return "active";
}

/**
 * API tokens: every token for a role that manages tokens (`/api/tokens`), one's own personal
 * tokens otherwise (`/api/me/tokens`). Create, list, revoke.
 */
export function TokensScreen(): ReactNode {
  const { session, api } = useSession();
  const path = roleAllows(session.user.role, "tokens:manage") ? "/api/tokens" : "/api/me/tokens";
  const tokens = useApiData<{ tokens: Token[] }>(api, path);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [revokeError, setRevokeError] = useState<string | undefined>(undefined);
  const now = Date.now();

  async function revoke(id: string): Promise<void> {
    try {
      await api.send("DELETE", `${path}/${encodeURIComponent(id)}`);
      setRevokeError(undefined);
      setConfirming(null);
      tokens.reload();
    } catch (error) {
      setRevokeError(asProblem(error).detail);
    }
  }

  return (
    <>
      <h1 tabIndex={-1}>Tokens</h1>
      <p className="lead">
        {path === "/api/tokens"
          ? "Every API token: for Composer, CI jobs, scripts and customers."
          : "Your personal tokens: they never allow more than your role."}
      </p>
      {created === null ? null : (
        <CreatedTokenNotice
          token={created}
          onDismiss={() => {
            setCreated(null);
          }}
        />
      )}
      <div className="two-columns">
        <section className="panel" aria-labelledby="token-list-heading">
          <h2 id="token-list-heading">Tokens</h2>
          <FormError message={revokeError} />
          <LoadState
            loaded={tokens}
            what="tokens"
            isEmpty={(data) => data.tokens.length === 0}
            empty={<p>No tokens yet. Create one with the form.</p>}
          >
            {(data) => (
              <ul className="token-list">
                {data.tokens.map((token) => {
                  const state = tokenState(token, now);
                  return (
                    <li key={token.id} className="token">
                      <div className="token-head">
                        <strong>{token.description}</strong>{" "}
                        <span className={`badge badge-${state === "active" ? "ok" : "error"}`}>{state}</span>
                      </div>
                      <dl className="details compact">
                        <div>
                          <dt>Fingerprint</dt>
                          <dd>
                            <code>{token.fingerprint}</code>
                          </dd>
                        </div>
                        <div>
                          <dt>Scopes</dt>
                          <dd>{token.scopes.join(", ")}</dd>
                        </div>
                        <div>
                          <dt>Packages</dt>
                          <dd>
                            {token.packagePatterns.length === 0 ? "all" : token.packagePatterns.join(", ")}
                          </dd>
                        </div>
                        <div>
                          <dt>Expires</dt>
                          <dd>
                            <DateText value={token.expiresAt} none="never" />
                          </dd>
                        </div>
                        <div>
                          <dt>Last used</dt>
                          <dd>
                            <DateText value={token.lastUsedAt} none="never" />
                          </dd>
                        </div>
                      </dl>
                      {state !== "active" ? null : confirming === token.id ? (
                        <div className="actions" role="group" aria-label={`Revoke ${token.description}?`}>
                          <button type="button" className="danger" onClick={() => void revoke(token.id)}>
                            Yes, revoke “{token.description}”
                          </button>
                          <button
                            type="button"
                            onClick={() => {
                              setConfirming(null);
                            }}
                          >
                            Cancel
                          </button>
                        </div>
                      ) : (
                        <button
                          type="button"
                          onClick={() => {
                            setConfirming(token.id);
                          }}
                        >
                          Revoke<span className="visually-hidden"> “{token.description}”</span>
                        </button>
                      )}
                    </li>
                  );
                })}
              </ul>
            )}
          </LoadState>
        </section>
        <section className="panel">
          <TokenCreateForm
            path={path}
            onCreated={(token) => {
              setCreated(token);
              tokens.reload();
            }}
          />
        </section>
      </div>
    </>
  );
}
