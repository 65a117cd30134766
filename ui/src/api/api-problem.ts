/** One invalid field of a request, as the API lists them in `errors`. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * An error answer of the API: an RFC 9457 problem document (docs/api.md), with its stable `code`,
 * or, when the answer was no problem document at all (a proxy's page, a network failure), one
 * made up here with the code `Unreachable` or `HttpError`.
 */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors: readonly FieldProblem[];
  /** Seconds from `Retry-After`, when the answer had one. */
  readonly retryAfter: number | null;
  /** Extra members of the document (`problems` of WeakPassword, ...). */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(init: {
    status: number;
    code: string;
    detail: string;
    errors?: readonly FieldProblem[];
    retryAfter?: number | null;
    extensions?: Readonly<Record<string, unknown>>;
  }) {
    super(init.detail);
    this.name = "ApiProblem";
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.errors = init.errors ?? [];
    this.retryAfter = init.retryAfter ?? null;
    this.extensions = init.extensions ?? {};
  }
}

/** Reads an error answer into an ApiProblem, whatever its body. */
export async function problemOf(response: Response): Promise<ApiProblem> {
  const retry = Number(response.headers.get("retry-after") ?? "");
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  const type = response.headers.get("content-type") ?? "";
  let extensions: Record<string, unknown> = {};
  if (type.includes("json")) {
    try {
      const body = (await response.json()) as unknown;
      if (typeof body === "object" && body !== null) extensions = body as Record<string, unknown>;
      if (typeof extensions.code === "string" && typeof extensions.detail === "string") {
        return new ApiProblem({
          status: response.status,
          code: extensions.code,
          detail: extensions.detail,
          errors: fieldProblems(extensions.errors),
          retryAfter,
          extensions,
        });
      }
    } catch {
      // not JSON after all: described below
    }
  }
  // Another answer (a failed sync's run, a proxy's page): its JSON body, if any, in `extensions`.
  return new ApiProblem({
    status: response.status,
    code: "HttpError",
    detail: `the server answered ${response.status} ${response.statusText}`.trim(),
    retryAfter,
    extensions,
  });
}

function fieldProblems(value: unknown): FieldProblem[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (typeof item !== "object" || item === null) return [];
    const { path, message } = item as Record<string, unknown>;
    return typeof path === "string" && typeof message === "string" ? [{ path, message }] : [];
  });
}
