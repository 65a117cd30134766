import { useState, type ReactNode } from "react";
import type { SettingsWithIpMode } from "../api/audit-ip-mode.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem, useApiData } from "../api/use-api-data.ts";
import { ConfirmBox } from "../components/confirm-box.tsx";
import { LoadState } from "../components/load-state.tsx";
import { BusinessHoursForm } from "./business-hours-form.tsx";
import { IpModePanel } from "./ip-mode-panel.tsx";
import { LegalHoldPanel } from "./legal-hold-panel.tsx";
import { RetentionForm } from "./retention-form.tsx";

/**
 * The runtime settings (docs/settings.md): the 2FA policy, business hours, audit retention, the
 * legal hold and what of client IP addresses the audit log keeps. Every change asks first; the API's refusals are shown at the field they are about.
 */
export function SettingsScreen(): ReactNode {
  const { api } = useSession();
  const settings = useApiData<SettingsWithIpMode>(api, "/api/settings");
  return (
    <>
      <h1 tabIndex={-1}>Settings</h1>
      <LoadState loaded={settings} what="settings">
        {(data) => (
          <div className="panels">
            <TwoFactorPolicyPanel required={data.security.requireTwoFactor} onSaved={settings.reload} />
            <section className="panel">
              <BusinessHoursForm current={data.alerts.businessHours} onSaved={settings.reload} />
            </section>
            <section className="panel">
              <RetentionForm current={data.audit.retentionDays} onSaved={settings.reload} />
            </section>
            <LegalHoldPanel hold={data.audit.legalHold} onChanged={settings.reload} />
            <IpModePanel
              current={data.audit.ipMode}
              source={data.audit.ipModeSource}
              onSaved={settings.reload}
            />
          </div>
        )}
      </LoadState>
    </>
  );
}

/** `security.requireTwoFactor`, asked before it changes (409 when the admin has no 2FA). */
function TwoFactorPolicyPanel({
  required,
  onSaved,
}: {
  readonly required: boolean;
  readonly onSaved: () => void;
}): ReactNode {
  const { api } = useSession();
  const [pending, setPending] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState("");

  async function apply(requireTwoFactor: boolean): Promise<void> {
    setBusy(true);
    try {
      await api.send("PATCH", "/api/settings", { security: { requireTwoFactor } });
      setError(undefined);
      setSaved(
        requireTwoFactor
          ? "Two-factor authentication is now required."
          : "Two-factor authentication is now optional.",
      );
      onSaved();
    } catch (failure) {
      const problem = asProblem(failure);
      setError(`${problem.detail} (${problem.code})`);
    } finally {
      setBusy(false);
      setPending(null);
    }
  }

  const described = ["require-two-factor-hint", error === undefined ? null : "require-two-factor-error"]
    .filter((id) => id !== null)
    .join(" ");
  return (
    <section className="panel" aria-labelledby="security-heading">
      <h2 id="security-heading">Security</h2>
      <div className="check">
        <input
          type="checkbox"
          id="require-two-factor"
          checked={pending ?? required}
          disabled={pending !== null}
          aria-invalid={error === undefined ? undefined : true}
          aria-describedby={described}
          onChange={(event) => {
            setError(undefined);
            setSaved("");
            setPending(event.target.checked);
          }}
        />
        <label htmlFor="require-two-factor">Require two-factor authentication</label>
      </div>
      <p className="hint" id="require-two-factor-hint">
        People without it can only turn it on after signing in.
      </p>
      {pending === null ? null : (
        <ConfirmBox
          label="Confirm the two-factor policy"
          question={
            pending
              ? "Require two-factor authentication from everyone? People without it can do nothing but set it up."
              : "Make two-factor authentication optional?"
          }
          confirmLabel={pending ? "Yes, require it" : "Yes, make it optional"}
          busy={busy}
          onConfirm={() => void apply(pending)}
          onCancel={() => {
            setPending(null);
          }}
        />
      )}
      <div role="alert">
        {error === undefined ? null : (
          <p className="field-error" id="require-two-factor-error">
            {error}
          </p>
        )}
      </div>
      <p role="status" className="hint">
        {saved}
      </p>
    </section>
  );
}
