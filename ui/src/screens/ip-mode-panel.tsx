import { useState, type ReactNode, type SyntheticEvent } from "react";
import type { IpMode, IpModeSource } from "../api/audit-ip-mode.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem } from "../api/use-api-data.ts";
import { roleAllows } from "../access/role-permissions.ts";
import { ConfirmBox } from "../components/confirm-box.tsx";

const MODES: readonly { readonly mode: IpMode; readonly label: string; readonly explanation: string }[] = [
  {
    mode: "full",
    label: "Full address",
    explanation: "Keeps the whole address: searchable by address and by any network.",
  },
  {
    mode: "truncate",
    label: "Network only",
    explanation: "Keeps the /24 (IPv4) or /48 (IPv6) network the address is in.",
  },
  {
    mode: "hash",
    label: "Pseudonym",
    explanation: "Keeps a keyed hash: the same address gives the same value; found only by exact address.",
  },
  { mode: "none", label: "Nothing", explanation: "Keeps no address at all." },
];

const labelOf = (mode: IpMode): string => MODES.find((entry) => entry.mode === mode)?.label ?? mode;

/**
 * `audit.ipMode`: what of a client's IP address new audit events keep. Asked before it changes;
 * events already recorded keep what they stored. Read-only for a role that may not change settings.
 */
export function IpModePanel({
  current,
  source,
  onSaved,
}: {
  readonly current: IpMode;
  readonly source: IpModeSource;
  readonly onSaved: () => void;
}): ReactNode {
  const { api, session } = useSession();
  const mayChange = roleAllows(session.user.role, "settings:manage");
  const [choice, setChoice] = useState<IpMode>(current);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState("");

  function review(event: SyntheticEvent<HTMLFormElement>): void {
    event.preventDefault();
    setSaved("");
    if (choice === current) {
      setError("Nothing changed: choose another mode first.");
      return;
    }
    setError(undefined);
    setConfirming(true);
  }

  async function save(): Promise<void> {
    setBusy(true);
    try {
      await api.send("PATCH", "/api/settings", { audit: { ipMode: choice } });
      setError(undefined);
      setSaved(`New audit events now keep: ${labelOf(choice).toLowerCase()}.`);
      onSaved();
    } catch (failure) {
      const problem = asProblem(failure);
      const atField = problem.errors.filter((entry) => entry.path === "audit.ipMode");
      setError(
        atField.length > 0
          ? `${atField.map((entry) => entry.message).join("; ")} (${problem.code})`
          : `${problem.detail} (${problem.code})`,
      );
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  const described = ["ip-mode-hint", error === undefined ? null : "ip-mode-error"]
    .filter((id) => id !== null)
    .join(" ");
  return (
    <section className="panel" aria-labelledby="ip-mode-heading">
      <h2 id="ip-mode-heading">IP addresses in the audit log</h2>
      <p className="hint" id="ip-mode-hint">
        {source === "setting"
          ? "Set here; it overrides PB_AUDIT_IP_MODE."
          : "From PB_AUDIT_IP_MODE until set here."}{" "}
        A change applies to new events only; recorded events keep what they stored.
      </p>
      <form noValidate onSubmit={review} aria-labelledby="ip-mode-heading">
        <fieldset disabled={!mayChange || confirming || busy} aria-describedby={described}>
          <legend>IP mode</legend>
          {MODES.map(({ mode, label, explanation }) => {
            const id = `ip-mode-${mode}`;
            return (
              <div className="check" key={mode}>
                <input
                  type="radio"
                  id={id}
                  name="ip-mode"
                  value={mode}
                  checked={choice === mode}
                  aria-invalid={error === undefined ? undefined : true}
                  aria-describedby={`${id}-explanation`}
                  onChange={() => {
                    setChoice(mode);
                    setError(undefined);
                    setSaved("");
                  }}
                />
                <div>
                  <label htmlFor={id}>
                    {label}
                    {mode === current ? " (in force)" : ""}
                  </label>
                  <div className="hint" id={`${id}-explanation`}>
                    {explanation}
                  </div>
                </div>
              </div>
            );
          })}
        </fieldset>
        <div role="alert">
          {error === undefined ? null : (
            <p className="field-error" id="ip-mode-error">
              {error}
            </p>
          )}
        </div>
        {!mayChange ? (
          <p className="hint">Only an admin can change it.</p>
        ) : confirming ? (
          <ConfirmBox
            label="Confirm the IP mode"
            question={`Change what new audit events keep from "${labelOf(current)}" to "${labelOf(choice)}"? Recorded events keep what they stored.`}
            confirmLabel="Yes, change the IP mode"
            busy={busy}
            onConfirm={() => void save()}
            onCancel={() => {
              setConfirming(false);
              setChoice(current);
            }}
          />
        ) : (
          <div className="actions">
            <button type="submit" className="primary">
              Save IP mode
            </button>
          </div>
        )}
      </form>
      <p role="status" className="hint">
        {saved}
      </p>
    </section>
  );
}
