import { useState, type SyntheticEvent, type ReactNode } from "react";
import { scopeOffer } from "../access/token-scopes.ts";
import { roleAllows } from "../access/role-permissions.ts";
import type { CreatedToken, Role, TokenScope } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem } from "../api/use-api-data.ts";
import { FormError } from "../components/form-error.tsx";
import { TextField } from "../components/text-field.tsx";
import { fieldErrorsOf, hasErrors, type FieldErrors } from "../forms/field-errors.ts";

type Field = "description" | "scopes" | "packages" | "expiresAt";

const SCOPES: readonly { readonly scope: TokenScope; readonly label: string }[] = [
  { scope: "read", label: "read: install packages (metadata and downloads)" },
  { scope: "write", label: "write: also upload packages and run syncs" },
  { scope: "admin", label: "admin: also the management API" },
];

const PATTERN = /^[a-z0-9*][a-z0-9_.*-]*\/[a-z0-9*][a-z0-9_.*-]*$/;

interface Input {
  readonly description: string;
  readonly scopes: ReadonlySet<TokenScope>;
  readonly packages: string;
  readonly expiresAt: string;
}

/**
 * The scope a new token starts with: read, unless the role cannot read packages (an auditor),
 * whose tokens only work with the admin scope that carries audit:read (docs/api.md); a personal
 * token never allows more than its owner's role, so read would be refused for them.
 */
function defaultScopes(role: Role): ReadonlySet<TokenScope> {
  return new Set<TokenScope>([roleAllows(role, "packages:read") ? "read" : "admin"]);
}

function patternsOf(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** Checks the form as the API does (`POST /api/tokens`), before sending it. */
function validate(input: Input, today: string): FieldErrors<Field> {
  const errors: FieldErrors<Field> = {};
  if (input.description.trim() === "") errors.description = "Say what the token is for.";
  else if (input.description.length > 200) errors.description = "At most 200 characters.";
  if (input.scopes.size === 0) errors.scopes = "Choose at least one scope.";
  const patterns = patternsOf(input.packages);
  if (patterns.length > 100) errors.packages = "At most 100 patterns.";
  const bad = patterns.find((item) => !PATTERN.test(item.toLowerCase()));
  if (bad !== undefined)
    errors.packages = `"${bad}" is not a package name pattern like acme/* or vendor/package.`;
  if (input.expiresAt !== "" && input.expiresAt <= today) errors.expiresAt = "Choose a day after today.";
  return errors;
}

/** Creating a token: what for, scopes, package patterns, expiry. */
export function TokenCreateForm({
  path,
  onCreated,
}: {
  readonly path: string;
  readonly onCreated: (token: CreatedToken) => void;
}): ReactNode {
  const { api, session } = useSession();
  // The tokens screen of an admin or maintainer makes tokens through /api/tokens; others, personal ones.
  const personal = path === "/api/me/tokens";
  const [input, setInput] = useState<Input>({
    description: "",
    scopes: defaultScopes(session.user.role),
    packages: "",
    expiresAt: "",
  });
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: SyntheticEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const today = new Date().toISOString().slice(0, 10);
    const invalid = validate(input, today);
    setErrors(invalid);
    if (hasErrors(invalid)) return;
    setBusy(true);
    try {
      const patterns = patternsOf(input.packages);
      const created = await api.send<CreatedToken>("POST", path, {
        description: input.description.trim(),
        scopes: SCOPES.map((item) => item.scope).filter((scope) => input.scopes.has(scope)),
        ...(patterns.length === 0 ? {} : { packages: patterns }),
        ...(input.expiresAt === "" ? {} : { expiresAt: `${input.expiresAt}T00:00:00Z` }),
      });
      setInput({ description: "", scopes: defaultScopes(session.user.role), packages: "", expiresAt: "" });
      onCreated(created);
    } catch (error) {
      setErrors(
        fieldErrorsOf(asProblem(error), ["description", "scopes", "packages", "expiresAt"], {
          ScopeOutsideRole: "scopes",
          ScopeBeyondGrant: "scopes",
          InvalidPackagePattern: "packages",
        }),
      );
    } finally {
      setBusy(false);
    }
  }

  function toggle(scope: TokenScope, on: boolean): void {
    setInput((current) => {
      const scopes = new Set(current.scopes);
      if (on) scopes.add(scope);
      else scopes.delete(scope);
      return { ...current, scopes };
    });
  }

  return (
    <form noValidate onSubmit={(event) => void submit(event)} aria-labelledby="create-token-heading">
      <h2 id="create-token-heading">New token</h2>
      <FormError message={errors.form} />
      <TextField
        id="description"
        label="What it is for"
        required
        value={input.description}
        onChange={(description) => {
          setInput((current) => ({ ...current, description }));
        }}
        error={errors.description}
      />
      <fieldset aria-describedby={errors.scopes === undefined ? undefined : "scopes-error"}>
        <legend>Scopes</legend>
        {SCOPES.map((item) => {
          const offer = scopeOffer(session.user.role, item.scope, personal);
          return (
            <div className="check" key={item.scope}>
              <input
                type="checkbox"
                id={`scope-${item.scope}`}
                checked={input.scopes.has(item.scope)}
                disabled={!offer.usable && !input.scopes.has(item.scope)}
                aria-describedby={offer.usable ? undefined : `scope-${item.scope}-why`}
                onChange={(event) => {
                  toggle(item.scope, event.target.checked);
                }}
              />
              <label htmlFor={`scope-${item.scope}`}>
                {item.label}
                {offer.usable ? null : (
                  <span className="hint" id={`scope-${item.scope}-why`}>
                    {" "}
                    (not for you: {offer.reason})
                  </span>
                )}
              </label>
            </div>
          );
        })}
        {errors.scopes === undefined ? null : (
          <p className="field-error" id="scopes-error">
            {errors.scopes}
          </p>
        )}
      </fieldset>
      <TextField
        id="packages"
        label="Packages"
        hint="Patterns the token may see, one per line (acme/*, vendor/package-*). Empty: every package."
        multiline
        value={input.packages}
        onChange={(packages) => {
          setInput((current) => ({ ...current, packages }));
        }}
        error={errors.packages}
      />
      <TextField
        id="expiresAt"
        label="Expires on"
        type="date"
        hint="Empty: never."
        value={input.expiresAt}
        onChange={(expiresAt) => {
          setInput((current) => ({ ...current, expiresAt }));
        }}
        error={errors.expiresAt}
      />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating…" : "Create token"}
        </button>
      </div>
    </form>
  );
}
