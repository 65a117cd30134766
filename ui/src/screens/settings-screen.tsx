import { useState, type ReactNode } from "react";
import type { Settings } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem, useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { FormError } from "../components/form-error.tsx";
import { LoadState } from "../components/load-state.tsx";

/** The runtime settings (docs/settings.md): the 2FA policy, business hours, audit retention. */
export function SettingsScreen(): ReactNode {
  const { api } = useSession();
  const settings = useApiData<Settings>(api, "/api/settings");
  const [error, setError] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState("");

  async function setRequireTwoFactor(requireTwoFactor: boolean): Promise<void> {
    try {
      await api.send("PATCH", "/api/settings", { security: { requireTwoFactor } });
      setError(undefined);
      setSaved(
        requireTwoFactor
          ? "Two-factor authentication is now required."
          : "Two-factor authentication is now optional.",
      );
      settings.reload();
    } catch (failure) {
      setError(asProblem(failure).detail);
    }
  }

  return (
    <>
      <h1 tabIndex={-1}>Settings</h1>
      <LoadState loaded={settings} what="settings">
        {(data) => (
          <div className="panels">
            <section className="panel" aria-labelledby="security-heading">
              <h2 id="security-heading">Security</h2>
              <FormError message={error} />
              <div className="check">
                <input
                  type="checkbox"
                  id="require-two-factor"
                  checked={data.security.requireTwoFactor}
                  aria-describedby="require-two-factor-hint"
                  onChange={(event) => void setRequireTwoFactor(event.target.checked)}
                />
                <label htmlFor="require-two-factor">Require two-factor authentication</label>
              </div>
              <p className="hint" id="require-two-factor-hint">
                People without it can only turn it on after signing in.
              </p>
              <p role="status" className="hint">
                {saved}
              </p>
            </section>
            <section className="panel" aria-labelledby="hours-heading">
              <h2 id="hours-heading">Business hours</h2>
              <p>
                {data.alerts.businessHours.days.join(", ")}, {data.alerts.businessHours.start}–
                {data.alerts.businessHours.end} ({data.alerts.businessHours.timeZone})
              </p>
              <p className="hint">Configuration changes outside them raise an alert.</p>
            </section>
            <section className="panel wide" aria-labelledby="retention-heading">
              <h2 id="retention-heading">Audit retention</h2>
              <p>
                Legal hold:{" "}
                {data.audit.legalHold.active ? (
                  <>
                    in force since <DateText value={data.audit.legalHold.since} /> (
                    {data.audit.legalHold.reason})
                  </>
                ) : (
                  "none"
                )}
              </p>
              <div className="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Category</th>
                      <th scope="col">Days kept</th>
                    </tr>
                  </thead>
                  <tbody>
                    {Object.entries(data.audit.retentionDays).map(([category, days]) => (
                      <tr key={category}>
                        <th scope="row">{category}</th>
                        <td>{days}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          </div>
        )}
      </LoadState>
    </>
  );
}
