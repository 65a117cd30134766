import { useState, type ReactNode, type SyntheticEvent } from "react";
import type { Repository } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem } from "../api/use-api-data.ts";
import { FormError } from "../components/form-error.tsx";
import { TextField } from "../components/text-field.tsx";
import { hasErrors, type FieldErrors } from "../forms/field-errors.ts";
import { withoutFields } from "../forms/without-fields.ts";
import {
  addRequestOf,
  repositoryErrorsOf,
  updateRequestOf,
  validateRepository,
  type CredentialKind,
  type RepositoryField,
  type RepositoryInput,
  type RepositoryType,
} from "../forms/repository-input.ts";

const KINDS: Readonly<
  Record<RepositoryType, readonly { readonly kind: CredentialKind; readonly label: string }[]>
> = {
  git: [
    { kind: "basic", label: "User name and password (https)" },
    { kind: "ssh", label: "SSH private key" },
  ],
  composer: [
    { kind: "basic", label: "User name and password (HTTP Basic)" },
    { kind: "token", label: "Token (Bearer)" },
    { kind: "header", label: "Custom header" },
  ],
};

function initialInput(repository: Repository | null): RepositoryInput {
  return {
    type: repository?.type === "composer" ? "composer" : "git",
    url: repository?.url ?? "",
    name: repository?.name ?? "",
    credentialKind: repository?.hasCredentials === true ? "keep" : "none",
    username: "",
    password: "",
    sshKey: "",
    token: "",
    header: "",
    value: "",
    packages: repository?.packagePatterns.join("\n") ?? "",
    eagerPackages: repository?.eagerPackages.join("\n") ?? "",
  };
}

/**
 * Adding a repository (`repository` null) or changing one: git with optional https or SSH
 * credentials, or a composer upstream with package patterns, eager packages and one of three kinds
 * of credentials. Credentials are never shown back: a change keeps, replaces or removes them.
 */
export function RepositoryForm({
  repository,
  onSaved,
  onCancel,
}: {
  readonly repository: Repository | null;
  readonly onSaved: (saved: Repository) => void;
  readonly onCancel?: () => void;
}): ReactNode {
  const { api } = useSession();
  const [input, setInput] = useState<RepositoryInput>(() => initialInput(repository));
  const [errors, setErrors] = useState<FieldErrors<RepositoryField>>({});
  const [busy, setBusy] = useState(false);
  const editing = repository !== null;
  const prefix = editing ? "edit-repo" : "repo";
  const id = (field: string): string => `${prefix}-${field}`;
  /** Changes fields; an error shown at a changed field goes, since it was about the old value. */
  const set = (change: Partial<RepositoryInput>): void => {
    setInput((current) => ({ ...current, ...change }));
    setErrors((current) =>
      withoutFields(
        current,
        Object.keys(change).map((key) => (key === "credentialKind" ? "credentials" : key)),
      ),
    );
  };

  async function submit(event: SyntheticEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const invalid = validateRepository(input);
    setErrors(invalid);
    if (hasErrors(invalid)) return;
    setBusy(true);
    try {
      const saved = editing
        ? await api.send<Repository>(
            "PATCH",
            `/api/repositories/${encodeURIComponent(repository.id)}`,
            updateRequestOf(input),
          )
        : await api.send<Repository>("POST", "/api/repositories", addRequestOf(input));
      if (!editing) setInput(initialInput(null));
      onSaved(saved);
    } catch (error) {
      setErrors(repositoryErrorsOf(asProblem(error)));
    } finally {
      setBusy(false);
    }
  }

  const kinds = KINDS[input.type];
  const heading = editing ? `Change ${repository.name}` : "Add a repository";
  return (
    <form noValidate onSubmit={(event) => void submit(event)} aria-labelledby={id("heading")}>
      <h2 id={id("heading")}>{heading}</h2>
      <FormError message={errors.form} />
      {editing ? null : (
        <fieldset>
          <legend>Type</legend>
          <div className="check">
            <input
              type="radio"
              id={id("type-git")}
              name={id("type")}
              checked={input.type === "git"}
              onChange={() => {
                set({ type: "git", credentialKind: "none" });
              }}
            />
            <label htmlFor={id("type-git")}>git: a repository whose tags and branches become versions</label>
          </div>
          <div className="check">
            <input
              type="radio"
              id={id("type-composer")}
              name={id("type")}
              checked={input.type === "composer"}
              onChange={() => {
                set({ type: "composer", credentialKind: "none" });
              }}
            />
            <label htmlFor={id("type-composer")}>composer: an upstream Composer repository, proxied</label>
          </div>
        </fieldset>
      )}
      <TextField
        id={id("url")}
        label="URL"
        required
        hint={
          input.type === "git"
            ? "https://…, ssh://… or git@host:path."
            : "The repository's address, such as https://repo.packagist.org."
        }
        value={input.url}
        onChange={(url) => {
          set({ url });
        }}
        error={errors.url}
      />
      <TextField
        id={id("name")}
        label="Name"
        hint={editing ? undefined : "Empty: taken from the URL."}
        value={input.name}
        onChange={(name) => {
          set({ name });
        }}
        error={errors.name}
      />
      <div className="field">
        <label htmlFor={id("credentials")}>Credentials</label>
        <select
          id={id("credentials")}
          value={input.credentialKind}
          aria-invalid={errors.credentials === undefined ? undefined : true}
          aria-describedby={errors.credentials === undefined ? undefined : id("credentials-error")}
          onChange={(event) => {
            set({ credentialKind: event.target.value as CredentialKind });
          }}
        >
          {repository?.hasCredentials === true ? (
            <>
              <option value="keep">Keep the stored ones</option>
              <option value="remove">Remove them</option>
            </>
          ) : (
            <option value="none">None</option>
          )}
          {kinds.map((item) => (
            <option key={item.kind} value={item.kind}>
              {repository?.hasCredentials === true ? `Replace: ${item.label}` : item.label}
            </option>
          ))}
        </select>
        {errors.credentials === undefined ? null : (
          <p className="field-error" id={id("credentials-error")}>
            {errors.credentials}
          </p>
        )}
      </div>
      {input.credentialKind === "basic" ? (
        <>
          <TextField
            id={id("username")}
            label="User name"
            required
            autoComplete="off"
            value={input.username}
            onChange={(username) => {
              set({ username });
            }}
            error={errors.username}
          />
          <TextField
            id={id("password")}
            label="Password"
            type="password"
            required
            autoComplete="new-password"
            value={input.password}
            onChange={(password) => {
              set({ password });
            }}
            error={errors.password}
          />
        </>
      ) : null}
      {input.credentialKind === "ssh" ? (
        <TextField
          id={id("ssh-key")}
          label="SSH private key"
          required
          multiline
          hint="PEM, without a passphrase. Stored encrypted, never shown again."
          value={input.sshKey}
          onChange={(sshKey) => {
            set({ sshKey });
          }}
          error={errors.sshKey}
        />
      ) : null}
      {input.credentialKind === "token" ? (
        <TextField
          id={id("token")}
          label="Token"
          type="password"
          required
          autoComplete="off"
          value={input.token}
          onChange={(token) => {
            set({ token });
          }}
          error={errors.token}
        />
      ) : null}
      {input.credentialKind === "header" ? (
        <>
          <TextField
            id={id("header")}
            label="Header name"
            required
            value={input.header}
            onChange={(header) => {
              set({ header });
            }}
            error={errors.header}
          />
          <TextField
            id={id("header-value")}
            label="Header value"
            type="password"
            required
            autoComplete="off"
            value={input.value}
            onChange={(value) => {
              set({ value });
            }}
            error={errors.value}
          />
        </>
      ) : null}
      {input.type === "composer" ? (
        <>
          <TextField
            id={id("packages")}
            label="Package patterns"
            multiline
            hint="The packages this upstream may provide, one per line (vendor/*). Empty: any."
            value={input.packages}
            onChange={(packages) => {
              set({ packages });
            }}
            error={errors.packages}
          />
          <TextField
            id={id("eager")}
            label="Eager packages"
            multiline
            hint="Mirrored ahead of time by each sync: names or patterns with *. Empty: only on demand."
            value={input.eagerPackages}
            onChange={(eagerPackages) => {
              set({ eagerPackages });
            }}
            error={errors.eagerPackages}
          />
        </>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Saving…" : editing ? "Save changes" : "Add repository"}
        </button>
        {onCancel === undefined ? null : (
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
