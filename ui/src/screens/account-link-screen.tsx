import { useEffect, useState, type SyntheticEvent, type ReactNode } from "react";
import type { ApiClient } from "../api/api-client.ts";
import type { ApiProblem } from "../api/api-problem.ts";
import type { LinkDescription } from "../api/api-types.ts";
import { asProblem } from "../api/use-api-data.ts";
import { FormError } from "../components/form-error.tsx";
import { TextField } from "../components/text-field.tsx";
import { fieldErrorsOf, hasErrors, type FieldErrors } from "../forms/field-errors.ts";
import { AppLink } from "../router/app-link.tsx";

type Field = "email" | "name" | "password" | "confirmation";

/** Minimum and maximum lengths of a new password (docs/passwords-and-2fa.md). */
const PASSWORD_MIN = 12;
const PASSWORD_MAX = 1024;

const FIELD_OF_CODE: Partial<Record<string, Field>> = {
  WeakPassword: "password",
  InvalidPassword: "password",
  InvalidName: "name",
  InvalidEmail: "email",
  EmailMismatch: "email",
  UserExists: "email",
};

const TITLES: Readonly<Record<LinkDescription["purpose"], string>> = {
  setup: "Create the first administrator",
  invitation: "Accept your invitation",
  "password-reset": "Choose a new password",
};

function validate(input: Record<Field, string>, purpose: LinkDescription["purpose"]): FieldErrors<Field> {
  const errors: FieldErrors<Field> = {};
  if (purpose === "setup") {
    const email = input.email.trim();
    if (email === "") errors.email = "Enter your e-mail address.";
    else if (email.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(email))
      errors.email = "Enter a valid e-mail address.";
  }
  if (purpose !== "password-reset" && input.name.length > 200) errors.name = "At most 200 characters.";
  // Code points of the NFC form, as the server counts them.
  const length = Array.from(input.password.normalize("NFC")).length;
  if (length < PASSWORD_MIN) errors.password = `At least ${PASSWORD_MIN} characters.`;
  else if (length > PASSWORD_MAX) errors.password = `At most ${PASSWORD_MAX} characters.`;
  if (input.confirmation !== input.password) errors.confirmation = "The two passwords differ.";
  return errors;
}

/**
 * The pages the one-time links open (docs/accounts.md): `/setup#TOKEN` (the first admin),
 * `/invite#TOKEN` and `/reset-password#TOKEN`. The token is read from the fragment, which the
 * browser never sends, and goes to the API in a request body.
 */
export function AccountLinkScreen({
  api,
  hash,
}: {
  readonly api: ApiClient;
  readonly hash: string;
}): ReactNode {
  const token = hash.startsWith("#") ? hash.slice(1) : hash;
  const [link, setLink] = useState<
    | { readonly token: string; readonly description: LinkDescription }
    | { readonly token: string; readonly problem: ApiProblem }
    | null
  >(null);
  const [done, setDone] = useState(false);

  useEffect(() => {
    if (token === "") return;
    api.send<LinkDescription>("POST", "/api/account-links/describe", { token }).then(
      (description) => {
        setLink({ token, description });
      },
      (error: unknown) => {
        setLink({ token, problem: asProblem(error) });
      },
    );
  }, [api, token]);

  let content: ReactNode;
  if (done) {
    content = (
      <>
        <h1 tabIndex={-1}>All set</h1>
        <p role="status">Your password is saved. You can now sign in.</p>
        <p>
          <AppLink to="/ui/sign-in" className="button primary">
            Sign in
          </AppLink>
        </p>
      </>
    );
  } else if (token === "" || (link?.token === token && "problem" in link)) {
    const problem = link !== null && "problem" in link ? link.problem : null;
    content = (
      <>
        <h1 tabIndex={-1}>This link cannot be used</h1>
        <p role="alert">
          {problem === null || problem.code === "LinkInvalid"
            ? "The link is unknown, expired, already used or revoked. Ask an administrator for a new one."
            : problem.detail}
        </p>
        <p>
          <AppLink to="/ui/sign-in">Go to the sign-in page</AppLink>
        </p>
      </>
    );
  } else if (link?.token !== token || !("description" in link)) {
    content = (
      <p className="state state-loading" role="status">
        Checking the link…
      </p>
    );
  } else {
    content = (
      <LinkForm
        api={api}
        token={token}
        description={link.description}
        onDone={() => {
          window.history.replaceState(null, "", window.location.pathname);
          setDone(true);
        }}
      />
    );
  }
  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <p className="brand-mark" aria-hidden="true">
          PACKAGE.broker
        </p>
        {content}
      </div>
    </main>
  );
}

function LinkForm(props: {
  readonly api: ApiClient;
  readonly token: string;
  readonly description: LinkDescription;
  readonly onDone: () => void;
}): ReactNode {
  const { purpose, email, role, expiresAt } = props.description;
  const [input, setInput] = useState<Record<Field, string>>({
    email: email ?? "",
    name: "",
    password: "",
    confirmation: "",
  });
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [busy, setBusy] = useState(false);
  const set = (field: Field) => (value: string) => {
    setInput((current) => ({ ...current, [field]: value }));
  };

  async function submit(event: SyntheticEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const invalid = validate(input, purpose);
    setErrors(invalid);
    if (hasErrors(invalid)) return;
    setBusy(true);
    try {
      await props.api.send("POST", "/api/account-links/accept", {
        token: props.token,
        password: input.password,
        ...(purpose === "setup" ? { email: input.email.trim() } : {}),
        ...(purpose !== "password-reset" && input.name.trim() !== "" ? { name: input.name.trim() } : {}),
      });
      props.onDone();
    } catch (error) {
      setErrors(fieldErrorsOf(asProblem(error), ["email", "name", "password"], FIELD_OF_CODE));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1 tabIndex={-1}>{TITLES[purpose]}</h1>
      <p>
        {purpose === "invitation" && email !== null
          ? `You are invited as ${email} (${role ?? "viewer"}). `
          : null}
        This link works until {new Date(expiresAt).toLocaleString()}.
      </p>
      <form noValidate onSubmit={(event) => void submit(event)}>
        <FormError message={errors.form} />
        {purpose === "setup" ? (
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
        ) : null}
        {purpose === "password-reset" ? null : (
          <TextField
            id="name"
            label="Name"
            autoComplete="name"
            value={input.name}
            onChange={set("name")}
            error={errors.name}
          />
        )}
        <TextField
          id="password"
          label="New password"
          type="password"
          autoComplete="new-password"
          hint={`At least ${PASSWORD_MIN} characters; not a common password, not your name or e-mail address.`}
          required
          value={input.password}
          onChange={set("password")}
          error={errors.password}
        />
        <TextField
          id="confirmation"
          label="Repeat the password"
          type="password"
          autoComplete="new-password"
          required
          value={input.confirmation}
          onChange={set("confirmation")}
          error={errors.confirmation}
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Saving…" : purpose === "setup" ? "Create administrator" : "Save password"}
          </button>
        </div>
      </form>
    </>
  );
}
