/**
 * What went wrong, in domain terms. `kind` decides the HTTP status in exactly one place
 * (http/error-responses.ts) and the CLI exit message; `code` is stable and documented.
 */
export type ErrorKind =
  | "invalid"
  | "unauthenticated"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "too-large"
  | "unsupported-media-type"
  | "too-many-requests"
  | "unavailable";

export class DomainError extends Error {
  override readonly name = "DomainError";
  readonly code: string;
  readonly kind: ErrorKind;
  /** Extra members for the problem document (for example the invalid fields). */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(kind: ErrorKind, code: string, message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.kind = kind;
    this.code = code;
    this.extensions = extensions;
  }
}

export const invalidInput = (
  code: string,
  message: string,
  extensions?: Record<string, unknown>,
): DomainError => new DomainError("invalid", code, message, extensions);

export const notFound = (code: string, message: string): DomainError =>
  new DomainError("not-found", code, message);

export const conflict = (code: string, message: string): DomainError =>
  new DomainError("conflict", code, message);
