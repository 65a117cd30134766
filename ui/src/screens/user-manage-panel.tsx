import { useEffect, useRef, useState, type ReactNode } from "react";
import type { IssuedLink, Role, User } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem } from "../api/use-api-data.ts";
import { ConfirmAction } from "../components/confirm-action.tsx";
import { ConfirmBox } from "../components/confirm-box.tsx";

export const ROLES: readonly Role[] = ["admin", "maintainer", "auditor", "viewer"];

/**
 * One person's account, for an admin: change the role, block or unblock, reset the second factor.
 * Each change asks first; the API's refusal (the last admin, an unknown user) is shown beside the
 * control it is about.
 */
export function UserManagePanel({
  user,
  onChanged,
  onClose,
}: {
  readonly user: User;
  readonly onChanged: () => void;
  readonly onClose: () => void;
}): ReactNode {
  const { api, session } = useSession();
  const [role, setRole] = useState<Role>(user.role);
  const [confirmingRole, setConfirmingRole] = useState(false);
  const [roleBusy, setRoleBusy] = useState(false);
  const [roleError, setRoleError] = useState<string | undefined>(undefined);
  const [done, setDone] = useState("");
  const [resetLink, setResetLink] = useState<IssuedLink | null>(null);
  const who = user.name ?? user.email;
  const self = user.id === session.user.id;
  const path = `/api/users/${encodeURIComponent(user.id)}`;
  const headingRef = useRef<HTMLHeadingElement>(null);
  const roleRef = useRef<HTMLSelectElement>(null);
  // Opening the panel takes the reader to it (below the list on a narrow screen).
  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  async function changeRole(): Promise<void> {
    setRoleBusy(true);
    try {
      await api.send("PATCH", path, { role });
      setRoleError(undefined);
      setConfirmingRole(false);
      setDone(`${who} is now ${role}.`);
      onChanged();
    } catch (error) {
      const problem = asProblem(error);
      setRoleError(`${problem.detail} (${problem.code})`);
      setConfirmingRole(false);
      roleRef.current?.focus();
    } finally {
      setRoleBusy(false);
    }
  }

  async function setStatus(status: "active" | "blocked"): Promise<void> {
    await api.send("PATCH", path, { status });
    setDone(status === "blocked" ? `${who} is blocked.` : `${who} is active again.`);
    onChanged();
  }

  async function sendPasswordReset(): Promise<void> {
    setResetLink(await api.send<IssuedLink>("POST", `${path}/password-reset`));
  }

  async function resetTwoFactor(): Promise<void> {
    const answer = await api.send<{ sessionsEnded: number }>("DELETE", `${path}/two-factor`);
    setDone(
      `${who}'s two-factor authentication is reset (${answer.sessionsEnded} session${answer.sessionsEnded === 1 ? "" : "s"} ended).`,
    );
    onChanged();
  }

  return (
    <section className="panel" aria-labelledby="manage-user-heading">
      <h2 id="manage-user-heading" tabIndex={-1} ref={headingRef}>
        Manage {who}
      </h2>
      <p className="hint break">
        {user.email}
        {self ? " (you)" : ""}
      </p>
      <p role="status" className="hint">
        {done}
      </p>
      <div className="field">
        <label htmlFor="manage-role">Role</label>
        <div className="inline-field">
          <select
            ref={roleRef}
            id="manage-role"
            value={role}
            aria-invalid={roleError === undefined ? undefined : true}
            aria-describedby={roleError === undefined ? undefined : "manage-role-error"}
            onChange={(event) => {
              setRole(event.target.value as Role);
              setConfirmingRole(false);
              setRoleError(undefined);
            }}
          >
            {ROLES.map((item) => (
              <option key={item} value={item}>
                {item}
              </option>
            ))}
          </select>
          {confirmingRole ? null : (
            <button
              type="button"
              disabled={role === user.role}
              onClick={() => {
                setConfirmingRole(true);
              }}
            >
              Change role
            </button>
          )}
        </div>
        {confirmingRole ? (
          <ConfirmBox
            label="Confirm the new role"
            question={`Change ${who}'s role from ${user.role} to ${role}?${self ? " You change your own permissions." : " Their tokens follow from the next request."}`}
            confirmLabel={`Yes, make ${role}`}
            busy={roleBusy}
            onConfirm={() => void changeRole()}
            onCancel={() => {
              setConfirmingRole(false);
            }}
          />
        ) : null}
        <div role="alert">
          {roleError === undefined ? null : (
            <p className="field-error" id="manage-role-error">
              {roleError}
            </p>
          )}
        </div>
      </div>
      <div className="field">
        <h3>Access</h3>
        <p className="hint">
          {user.status === "blocked"
            ? "Blocked: cannot sign in, and their personal tokens are refused."
            : "Active. Blocking signs them out at once and stops their personal tokens."}
        </p>
        {user.status === "blocked" ? (
          <ConfirmAction
            id="manage-unblock"
            label="Unblock"
            question={`Unblock ${who}? They can sign in again and their tokens work again.`}
            confirmLabel={`Yes, unblock ${who}`}
            onConfirm={() => setStatus("active")}
          />
        ) : (
          <ConfirmAction
            id="manage-block"
            label="Block"
            question={`Block ${who}? ${self ? "You will be signed out." : "Their sessions end at once."}`}
            confirmLabel={`Yes, block ${who}`}
            danger
            onConfirm={() => setStatus("blocked")}
          />
        )}
      </div>
      <div className="field">
        <h3>Password</h3>
        <p className="hint">
          {user.passwordSet
            ? "A reset link (valid 24 hours) lets them choose a new one; using it signs them out everywhere."
            : "None yet: a reset link lets them choose one."}
        </p>
        <ConfirmAction
          id="manage-password-reset"
          label="Make a password reset link"
          question={`Make a password reset link for ${who}? An earlier link stops working.`}
          confirmLabel="Yes, make the link"
          onConfirm={sendPasswordReset}
        />
        {resetLink === null ? null : (
          <div role="status" className="notice-inline">
            <p>
              Reset link made
              {resetLink.delivery.status === "sent" ? " and e-mailed" : ", not e-mailed: send it yourself"}:
            </p>
            <p className="break">
              <code data-testid="password-reset-link">{resetLink.url}</code>
            </p>
          </div>
        )}
      </div>
      <div className="field">
        <h3>Two-factor authentication</h3>
        {user.twoFactor ? (
          <>
            <p className="hint">
              On. Reset it when they lost their authenticator: they sign in with the password and set it up
              again.
            </p>
            <ConfirmAction
              id="manage-reset-two-factor"
              label="Reset two-factor authentication"
              question={`Reset ${who}'s two-factor authentication? Their authenticator and recovery codes stop working and their sessions end.`}
              confirmLabel="Yes, reset it"
              danger
              onConfirm={resetTwoFactor}
            />
          </>
        ) : (
          <p className="hint">Off: nothing to reset.</p>
        )}
      </div>
      <div className="actions">
        <button type="button" className="link-button" onClick={onClose}>
          Close
        </button>
      </div>
    </section>
  );
}
