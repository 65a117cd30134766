import { useEffect, useRef, useState, type SyntheticEvent, type ReactNode } from "react";
import type { ApiClient } from "../api/api-client.ts";
import type { Session } from "../api/api-types.ts";
import { asProblem } from "../api/use-api-data.ts";
import { FormError } from "../components/form-error.tsx";
import { TextField } from "../components/text-field.tsx";
import { fieldErrorsOf, hasErrors, type FieldErrors } from "../forms/field-errors.ts";

type Field = "email" | "password" | "code" | "recoveryCode";

const FIELD_OF_CODE: Partial<Record<string, Field>> = {
  InvalidCredentials: "password",
  InvalidTwoFactorCode: "code",
};

/** Checks the form as the API does (docs/api.md, `POST /api/session`), before sending it. */
function validate(input: Record<Field, string>, step: "password" | "code" | "recovery"): FieldErrors<Field> {
  const errors: FieldErrors<Field> = {};
  if (input.email.trim() === "") errors.email = "Enter your e-mail address.";
  else if (input.email.length > 320) errors.email = "At most 320 characters.";
  if (input.password === "") errors.password = "Enter your password.";
  if (step === "code" && !/^\s*[0-9]{6}\s*$/.test(input.code))
    errors.code = "Enter the 6 digits your authenticator app shows.";
  if (step === "recovery" && input.recoveryCode.trim() === "") errors.recoveryCode = "Enter a recovery code.";
  return errors;
}

/**
 * Sign-in: e-mail and password, then the authenticator's code when the account has two-factor
 * authentication (the API answers TwoFactorRequired), or one of the recovery codes.
 */
export function SignInScreen({
  api,
  onSignedIn,
}: {
  readonly api: ApiClient;
  readonly onSignedIn: (session: Session) => void;
}): ReactNode {
  const [input, setInput] = useState<Record<Field, string>>({
    email: "",
    password: "",
    code: "",
    recoveryCode: "",
  });
  const [step, setStep] = useState<"password" | "code" | "recovery">("password");
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [busy, setBusy] = useState(false);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (step !== "password") codeRef.current?.focus();
  }, [step]);

  const set = (field: Field) => (value: string) => {
    setInput((current) => ({ ...current, [field]: value }));
  };

  async function submit(event: SyntheticEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const invalid = validate(input, step);
    setErrors(invalid);
    if (hasErrors(invalid)) return;
    setBusy(true);
    try {
      const session = await api.send<Session>("POST", "/api/session", {
        email: input.email.trim(),
        password: input.password,
        ...(step === "code" ? { code: input.code.trim() } : {}),
        ...(step === "recovery" ? { recoveryCode: input.recoveryCode.trim() } : {}),
      });
      onSignedIn(session);
    } catch (error) {
      const problem = asProblem(error);
      if (problem.code === "TwoFactorRequired") {
        setErrors({});
        setStep("code");
      } else if (problem.code === "LoginLocked") {
        const minutes = problem.retryAfter === null ? null : Math.ceil(problem.retryAfter / 60);
        setErrors({
          form: `${problem.detail}${minutes === null ? "" : ` Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`}`,
        });
      } else {
        setErrors(fieldErrorsOf(problem, ["email", "password", "code", "recoveryCode"], FIELD_OF_CODE));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <p className="brand-mark" aria-hidden="true">
          PACKAGE.broker
        </p>
        <h1 tabIndex={-1}>Sign in</h1>
        <form noValidate onSubmit={(event) => void submit(event)}>
          <FormError message={errors.form} />
          <TextField
            id="email"
            label="E-mail address"
            type="email"
            autoComplete="username"
            required
            value={input.email}
            onChange={set("email")}
            error={errors.email}
          />
          <TextField
            id="password"
            label="Password"
            type="password"
            autoComplete="current-password"
            required
            value={input.password}
            onChange={set("password")}
            error={errors.password}
          />
          {step === "code" ? (
            <TextField
              id="code"
              label="Authentication code"
              hint="Two-factor authentication is on: enter the 6-digit code from your authenticator app."
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={input.code}
              onChange={set("code")}
              error={errors.code}
              inputRef={codeRef}
            />
          ) : null}
          {step === "recovery" ? (
            <TextField
              id="recoveryCode"
              label="Recovery code"
              hint="One of the recovery codes you saved when you turned on two-factor authentication. Each works once."
              autoComplete="off"
              required
              value={input.recoveryCode}
              onChange={set("recoveryCode")}
              error={errors.recoveryCode}
              inputRef={codeRef}
            />
          ) : null}
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? "Signing in…" : "Sign in"}
            </button>
            {step === "code" ? (
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  setErrors({});
                  setStep("recovery");
                }}
              >
                Use a recovery code
              </button>
            ) : null}
          </div>
        </form>
      </div>
    </main>
  );
}
