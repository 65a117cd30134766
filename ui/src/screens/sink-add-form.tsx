import { useState, type ReactNode, type SyntheticEvent } from "react";
import type { AuditSink } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem } from "../api/use-api-data.ts";
import { FormError } from "../components/form-error.tsx";
import { TextField } from "../components/text-field.tsx";
import { fieldErrorsOf, hasErrors, type FieldErrors } from "../forms/field-errors.ts";
import { withoutFields } from "../forms/without-fields.ts";

const TYPES = [
  "webhook",
  "splunk-hec",
  "datadog",
  "elasticsearch",
  "logstash",
  "loki",
  "otlp",
  "syslog",
] as const;
type SinkType = (typeof TYPES)[number];
const TOKEN_REQUIRED: ReadonlySet<SinkType> = new Set(["splunk-hec", "datadog"]);
const CONTROL = /\p{Cc}/u;

type Field = "type" | "url" | "name" | "format" | "token" | "secret" | "from";

interface Input {
  readonly type: SinkType;
  readonly url: string;
  readonly name: string;
  readonly format: "" | "json" | "ecs" | "cef";
  readonly token: string;
  readonly secret: string;
  readonly from: "start" | "now";
}

const EMPTY: Input = { type: "webhook", url: "", name: "", format: "", token: "", secret: "", from: "start" };

/** Checks the sink as `POST /api/audit/sinks` does, before sending it. */
function validate(input: Input): FieldErrors<Field> {
  const errors: FieldErrors<Field> = {};
  const url = input.url.trim();
  if (url === "" && input.type !== "datadog") errors.url = "Enter the receiver's URL.";
  else if (url.length > 2048) errors.url = "At most 2048 characters.";
  else if (url !== "") {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      errors.url = "Not a URL.";
    }
    if (parsed !== null && input.type === "syslog") {
      if (!["tcp:", "tls:"].includes(parsed.protocol) || parsed.port === "")
        errors.url = "A syslog URL is tcp://host:port or tls://host:port.";
    } else if (parsed !== null && !["https:", "http:"].includes(parsed.protocol)) {
      errors.url = "Starts with https:// (or http://).";
    } else if (parsed !== null && parsed.hash !== "") errors.url = "No #fragment.";
  }
  const name = input.name.trim();
  if (name.length > 100 || CONTROL.test(name)) errors.name = "At most 100 characters, no control characters.";
  if (TOKEN_REQUIRED.has(input.type) && input.token === "")
    errors.token = `A ${input.type} sink needs a token.`;
  else if (input.token.length > 4096 || CONTROL.test(input.token))
    errors.token = "At most 4096 characters, no control characters.";
  if (input.type === "webhook" && (input.secret.length < 16 || input.secret.length > 4096))
    errors.secret = "A signing secret of at least 16 characters.";
  return errors;
}

/** Adding an audit sink: type, receiver, name, format, its credential, where delivery starts. */
export function SinkAddForm({ onAdded }: { readonly onAdded: (sink: AuditSink) => void }): ReactNode {
  const { api } = useSession();
  const [input, setInput] = useState<Input>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [busy, setBusy] = useState(false);
  /** Changes fields; an error shown at a changed field goes, since it was about the old value. */
  const set = (change: Partial<Input>): void => {
    setInput((current) => ({ ...current, ...change }));
    setErrors((current) => withoutFields(current, Object.keys(change)));
  };

  async function submit(event: SyntheticEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const invalid = validate(input);
    setErrors(invalid);
    if (hasErrors(invalid)) return;
    setBusy(true);
    try {
      const name = input.name.trim();
      const url = input.url.trim();
      const added = await api.send<AuditSink>("POST", "/api/audit/sinks", {
        type: input.type,
        ...(url === "" ? {} : { url }),
        ...(name === "" ? {} : { name }),
        ...(input.format === "" ? {} : { format: input.format }),
        ...(input.token === "" ? {} : { token: input.token }),
        ...(input.type === "webhook" ? { secret: input.secret } : {}),
        from: input.from,
      });
      setInput(EMPTY);
      onAdded(added);
    } catch (error) {
      setErrors(
        fieldErrorsOf(asProblem(error), ["type", "url", "name", "format", "token", "secret", "from"], {
          SinkNameTaken: "name",
          InvalidSinkUrl: "url",
          MissingSinkCredential: input.type === "webhook" ? "secret" : "token",
          SinkTokenRequired: "token",
        }),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <form noValidate onSubmit={(event) => void submit(event)} aria-labelledby="add-sink-heading">
      <h2 id="add-sink-heading">Add a sink</h2>
      <FormError message={errors.form} />
      <div className="field">
        <label htmlFor="sink-type">Type</label>
        <select
          id="sink-type"
          value={input.type}
          onChange={(event) => {
            set({ type: event.target.value as SinkType });
          }}
        >
          {TYPES.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
      </div>
      <TextField
        id="sink-url"
        label="Receiver URL"
        required={input.type !== "datadog"}
        hint={input.type === "syslog" ? "tcp://host:port or tls://host:port." : "https://… (or http://…)."}
        value={input.url}
        onChange={(url) => {
          set({ url });
        }}
        error={errors.url}
      />
      <TextField
        id="sink-name"
        label="Name"
        hint="Empty: the type and the receiver's host."
        value={input.name}
        onChange={(name) => {
          set({ name });
        }}
        error={errors.name}
      />
      <div className="field">
        <label htmlFor="sink-format">Format</label>
        <select
          id="sink-format"
          value={input.format}
          onChange={(event) => {
            set({ format: event.target.value as Input["format"] });
          }}
        >
          <option value="">The type&apos;s default</option>
          <option value="json">json</option>
          <option value="ecs">ecs (Elastic Common Schema)</option>
          <option value="cef">cef (ArcSight)</option>
        </select>
      </div>
      <TextField
        id="sink-token"
        label="Token"
        type="password"
        autoComplete="off"
        required={TOKEN_REQUIRED.has(input.type)}
        hint="The receiver's API key or token; stored encrypted, never shown."
        value={input.token}
        onChange={(token) => {
          set({ token });
        }}
        error={errors.token}
      />
      {input.type === "webhook" ? (
        <TextField
          id="sink-secret"
          label="Signing secret"
          type="password"
          autoComplete="off"
          required
          hint="At least 16 characters: every delivery is signed with it (HMAC-SHA256)."
          value={input.secret}
          onChange={(secret) => {
            set({ secret });
          }}
          error={errors.secret}
        />
      ) : null}
      <fieldset>
        <legend>Start with</legend>
        <div className="check">
          <input
            type="radio"
            id="sink-from-start"
            name="sink-from"
            checked={input.from === "start"}
            onChange={() => {
              set({ from: "start" });
            }}
          />
          <label htmlFor="sink-from-start">every event the log still holds</label>
        </div>
        <div className="check">
          <input
            type="radio"
            id="sink-from-now"
            name="sink-from"
            checked={input.from === "now"}
            onChange={() => {
              set({ from: "now" });
            }}
          />
          <label htmlFor="sink-from-now">new events only</label>
        </div>
      </fieldset>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Adding…" : "Add sink"}
        </button>
      </div>
    </form>
  );
}
