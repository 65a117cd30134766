import type { ApiProblem } from "../api/api-problem.ts";
import type { FieldErrors } from "./field-errors.ts";

export type RepositoryType = "git" | "composer";

/** How the server authenticates to the source; `keep` and `remove` only when changing one. */
export type CredentialKind = "none" | "keep" | "remove" | "basic" | "ssh" | "token" | "header";

export type RepositoryField =
  | "type"
  | "url"
  | "name"
  | "credentials"
  | "username"
  | "password"
  | "sshKey"
  | "token"
  | "header"
  | "value"
  | "packages"
  | "eagerPackages";

export interface RepositoryInput {
  readonly type: RepositoryType;
  readonly url: string;
  readonly name: string;
  readonly credentialKind: CredentialKind;
  readonly username: string;
  readonly password: string;
  readonly sshKey: string;
  readonly token: string;
  readonly header: string;
  readonly value: string;
  readonly packages: string;
  readonly eagerPackages: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const PATTERN_CHARACTERS = /^[a-z0-9_.*/-]+$/;
const PACKAGE_NAME = /^[a-z0-9]+(?:[_.-][a-z0-9]+)*\/[a-z0-9]+(?:(?:[_.]|--?)[a-z0-9]+)*$/;
const PRIVATE_KEY =
  /^-----BEGIN ([A-Z0-9]+ )?PRIVATE KEY-----\n[\s\S]+\n-----END ([A-Z0-9]+ )?PRIVATE KEY-----$/;
const HEADER = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const FORBIDDEN_HEADERS = ["host", "via", "if-modified-since", "content-length", "connection"];
const CONTROL = /\p{Cc}/u;
const MAX_SECRET_BYTES = 4 * 1024;
const MAX_KEY_BYTES = 16 * 1024;

/** The patterns of a text area: one per line (commas and spaces separate too). */
export function patternsOf(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

function bytes(value: string): number {
  return new TextEncoder().encode(value).length;
}

function secretError(field: string, value: string, max = MAX_SECRET_BYTES): string | undefined {
  if (value === "") return `Enter the ${field}.`;
  if (bytes(value) > max) return `At most ${max} bytes.`;
  if (CONTROL.test(value)) return "No control characters.";
  return undefined;
}

function patternError(text: string, eager: boolean): string | undefined {
  const patterns = patternsOf(text);
  if (patterns.length > 100) return "At most 100 patterns.";
  for (const raw of patterns) {
    const pattern = raw.toLowerCase().replace(/\*{2,}/g, "*");
    if (pattern.length > 255 || !PATTERN_CHARACTERS.test(pattern)) {
      return `"${raw}" is not a package pattern like vendor/* or vendor/package.`;
    }
    if (eager && !pattern.includes("*") && !PACKAGE_NAME.test(pattern)) {
      return `"${raw}" is neither a package name (vendor/name) nor a pattern with *.`;
    }
  }
  return undefined;
}

/** Checks the form as `POST` and `PATCH /api/repositories` do, before sending it. */
export function validateRepository(input: RepositoryInput): FieldErrors<RepositoryField> {
  const errors: Partial<Record<RepositoryField, string | undefined>> = {};
  const url = input.url.trim();
  if (url === "") errors.url = "Enter the repository's URL.";
  else if (url.length > 2048) errors.url = "At most 2048 characters.";
  else if (input.type === "composer" && !/^https?:\/\/[^/]/i.test(url))
    errors.url = "A composer repository URL starts with https:// or http://.";
  else if (/^https?:\/\/[^/@]*@/i.test(url))
    errors.url = "No credentials in the URL: enter them under Credentials.";
  const name = input.name.trim();
  if (name !== "" && !NAME.test(name))
    errors.name = "1 to 100 letters, digits, dots, dashes or underscores, starting with a letter or digit.";
  switch (input.credentialKind) {
    case "basic": {
      const user = secretError("user name", input.username, 256);
      errors.username = user ?? (input.username.includes(":") ? 'No ":" in the user name.' : undefined);
      errors.password = secretError("password", input.password);
      break;
    }
    case "ssh": {
      const key = input.sshKey.replace(/\r\n?/g, "\n").trim();
      if (key === "") errors.sshKey = "Paste the private key.";
      else if (bytes(key) > MAX_KEY_BYTES) errors.sshKey = `At most ${MAX_KEY_BYTES} bytes.`;
      else if (!PRIVATE_KEY.test(key))
        errors.sshKey = 'A PEM private key ("-----BEGIN OPENSSH PRIVATE KEY-----" …), without a passphrase.';
      else if (/^Proc-Type: 4,ENCRYPTED$/m.test(key))
        errors.sshKey = "The key must not be protected by a passphrase.";
      break;
    }
    case "token":
      errors.token = secretError("token", input.token);
      break;
    case "header":
      if (!HEADER.test(input.header)) errors.header = "An HTTP header name, such as X-Api-Key.";
      else if (FORBIDDEN_HEADERS.includes(input.header.toLowerCase()))
        errors.header = "Not Host, Via, If-Modified-Since, Content-Length or Connection.";
      errors.value = secretError("value", input.value);
      break;
    default:
      break;
  }
  if (input.type === "composer") {
    errors.packages = patternError(input.packages, false);
    errors.eagerPackages = patternError(input.eagerPackages, true);
  }
  const found: FieldErrors<RepositoryField> = {};
  for (const [field, message] of Object.entries(errors)) {
    if (message !== undefined) found[field as RepositoryField] = message;
  }
  return found;
}

/** The credentials member of the request: absent (keep or none), null (remove) or the new ones. */
function credentialsOf(input: RepositoryInput): Record<string, string> | null | undefined {
  switch (input.credentialKind) {
    case "basic":
      return { username: input.username, password: input.password };
    case "ssh":
      return { sshKey: input.sshKey };
    case "token":
      return { token: input.token };
    case "header":
      return { header: input.header, value: input.value };
    case "remove":
      return null;
    default:
      return undefined;
  }
}

/** The body of `POST /api/repositories`. */
export function addRequestOf(input: RepositoryInput): Record<string, unknown> {
  const credentials = credentialsOf(input);
  const name = input.name.trim();
  const packages = patternsOf(input.packages);
  const eager = patternsOf(input.eagerPackages);
  return {
    type: input.type,
    url: input.url.trim(),
    ...(name === "" ? {} : { name }),
    ...(credentials === undefined || credentials === null ? {} : { credentials }),
    ...(input.type === "composer" && packages.length > 0 ? { packages } : {}),
    ...(input.type === "composer" && eager.length > 0 ? { eagerPackages: eager } : {}),
  };
}

/** The body of `PATCH /api/repositories/{id}`: every field of the form (patterns `[]` clears them). */
export function updateRequestOf(input: RepositoryInput): Record<string, unknown> {
  const credentials = credentialsOf(input);
  const name = input.name.trim();
  return {
    url: input.url.trim(),
    ...(name === "" ? {} : { name }),
    ...(credentials === undefined ? {} : { credentials }),
    ...(input.type === "composer"
      ? { packages: patternsOf(input.packages), eagerPackages: patternsOf(input.eagerPackages) }
      : {}),
  };
}

const FIELD_OF_CODE: Partial<Record<string, RepositoryField>> = {
  RepositoryNameTaken: "name",
  InvalidRepositoryUrl: "url",
  CredentialsInUrl: "url",
  PrivateSourceRefused: "url",
  RepositoryHostNotFound: "url",
  InvalidUpstreamRepository: "url",
  UpstreamUnavailable: "url",
  UpstreamDocumentTooLarge: "url",
  CredentialsDoNotMatchUrl: "credentials",
};

/** Puts the API's refusal next to its field: `credentials.username` at the user name, and so on. */
export function repositoryErrorsOf(problem: ApiProblem): FieldErrors<RepositoryField> {
  const errors: FieldErrors<RepositoryField> = {};
  const add = (field: RepositoryField | "form", message: string): void => {
    errors[field] = errors[field] === undefined ? message : `${errors[field]}; ${message}`;
  };
  for (const entry of problem.errors) {
    const [first = "", second = ""] = entry.path.split(".");
    if (first === "credentials") {
      const inner = { username: "username", password: "password", sshKey: "sshKey", token: "token" } as const;
      const field =
        second in inner
          ? inner[second as keyof typeof inner]
          : second === "header" || second === "value"
            ? second
            : "credentials";
      add(field, entry.message);
    } else if (["type", "url", "name", "packages", "eagerPackages"].includes(first)) {
      add(first as RepositoryField, entry.message);
    } else {
      add("form", entry.message);
    }
  }
  if (problem.errors.length > 0) return errors;
  if (problem.code === "InvalidPackagePattern") {
    add(/eager/i.test(problem.detail) ? "eagerPackages" : "packages", problem.detail);
    return errors;
  }
  add(FIELD_OF_CODE[problem.code] ?? "form", problem.detail);
  return errors;
}
