import { useState, type SyntheticEvent, type ReactNode } from "react";
import type { TwoFactorStatus } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem, useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { FormError } from "../components/form-error.tsx";
import { LoadState } from "../components/load-state.tsx";
import { TextField } from "../components/text-field.tsx";
import { fieldErrorsOf, type FieldErrors } from "../forms/field-errors.ts";
import { QrCode } from "../qr-code/qr-code.tsx";

/** The signed-in person: who they are, and their second factor (turning it on). */
export function ProfileScreen(): ReactNode {
  const { session, api } = useSession();
  const { user } = session;
  const twoFactor = useApiData<TwoFactorStatus>(api, "/api/me/two-factor");
  return (
    <>
      <h1 tabIndex={-1}>Profile</h1>
      <section className="panel" aria-labelledby="account-heading">
        <h2 id="account-heading">Account</h2>
        <dl className="details">
          <div>
            <dt>E-mail address</dt>
            <dd>{user.email}</dd>
          </div>
          <div>
            <dt>Name</dt>
            <dd>{user.name ?? "—"}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>{user.role}</dd>
          </div>
          <div>
            <dt>Session ends</dt>
            <dd>
              <DateText value={session.expiresAt} />
            </dd>
          </div>
        </dl>
      </section>
      <section className="panel" aria-labelledby="two-factor-heading">
        <h2 id="two-factor-heading">Two-factor authentication</h2>
        <LoadState loaded={twoFactor} what="two-factor status">
          {(status) =>
            status.enabled ? (
              <p>
                <span className="badge badge-ok">on</span> since <DateText value={status.enabledAt} />;{" "}
                {status.recoveryCodesLeft} recovery codes left.
              </p>
            ) : (
              <TwoFactorEnrolment onEnabled={twoFactor.reload} />
            )
          }
        </LoadState>
      </section>
    </>
  );
}

function TwoFactorEnrolment({ onEnabled }: { readonly onEnabled: () => void }): ReactNode {
  const { api, refreshSession } = useSession();
  const [secret, setSecret] = useState<{ readonly secret: string; readonly uri: string } | null>(null);
  const [code, setCode] = useState("");
  const [errors, setErrors] = useState<FieldErrors<"code">>({});
  const [recoveryCodes, setRecoveryCodes] = useState<readonly string[] | null>(null);
  const [busy, setBusy] = useState(false);

  async function start(): Promise<void> {
    setBusy(true);
    try {
      setSecret(await api.send<{ secret: string; uri: string }>("POST", "/api/me/two-factor"));
      setErrors({});
    } catch (error) {
      setErrors({ form: asProblem(error).detail });
    } finally {
      setBusy(false);
    }
  }

  async function confirm(event: SyntheticEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (!/^\s*[0-9]{6}\s*$/.test(code)) {
      setErrors({ code: "Enter the 6 digits your authenticator app shows." });
      return;
    }
    setBusy(true);
    try {
      const answer = await api.send<{ recoveryCodes: string[] }>("POST", "/api/me/two-factor/confirm", {
        code: code.trim(),
      });
      setRecoveryCodes(answer.recoveryCodes);
      setErrors({});
    } catch (error) {
      setErrors(fieldErrorsOf(asProblem(error), ["code"], { InvalidTwoFactorCode: "code" }));
    } finally {
      setBusy(false);
    }
  }

  if (recoveryCodes !== null) {
    return (
      <div>
        <p role="status">
          Two-factor authentication is on. Save these recovery codes somewhere safe: each signs you in once
          without your authenticator, and they are shown only now.
        </p>
        <ul className="codes" aria-label="Recovery codes">
          {recoveryCodes.map((item) => (
            <li key={item}>
              <code>{item}</code>
            </li>
          ))}
        </ul>
        <button
          type="button"
          className="primary"
          onClick={() => {
            refreshSession();
            onEnabled();
          }}
        >
          I have saved them
        </button>
      </div>
    );
  }
  if (secret === null) {
    return (
      <div>
        <p>
          <span className="badge">off</span> Sign-ins ask only for your password.
        </p>
        <FormError message={errors.form} />
        <button type="button" className="primary" disabled={busy} onClick={() => void start()}>
          Turn on two-factor authentication
        </button>
      </div>
    );
  }
  return (
    <form noValidate onSubmit={(event) => void confirm(event)}>
      <p>
        Scan this QR code with your authenticator app, or add the key by hand (time-based, 6 digits, 30
        seconds), then enter the code it shows.
      </p>
      <QrCode text={secret.uri} label="QR code of your two-factor key, to scan with an authenticator app" />
      <p>
        Key: <code data-testid="totp-secret">{secret.secret}</code>
      </p>
      <p className="hint break">
        Or open this link on the device that has the app:{" "}
        <a href={secret.uri} data-testid="totp-uri">
          {secret.uri}
        </a>
      </p>
      <FormError message={errors.form} />
      <TextField
        id="totp-code"
        label="Code from the app"
        inputMode="numeric"
        autoComplete="one-time-code"
        required
        value={code}
        onChange={setCode}
        error={errors.code}
      />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Confirm
        </button>
      </div>
    </form>
  );
}
