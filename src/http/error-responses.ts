import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";
import { DomainError, type ErrorKind } from "../errors/domain-error.ts";
import type { AppEnv } from "./app-env.ts";

const STATUS: Record<ErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  "not-found": 404,
  conflict: 409,
  "too-large": 413,
  "unsupported-media-type": 415,
  "too-many-requests": 429,
  unavailable: 503,
};

const TITLES: Partial<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly [extension: string]: unknown;
}

/**
 * The one place where errors become HTTP. Responses are RFC 9457 problem documents. On the
 * Composer routes they are sent as `application/json` with a `warning` member too, because
 * Composer prints `warning` only when the Content-Type is exactly `application/json`.
 */
export function errorResponse(c: Context<AppEnv>, error: unknown): Response {
  const problem = toProblem(error, c.get("requestId"));
  const composer = c.get("composerRoute");
  const body = composer ? { ...problem, warning: problem.detail } : problem;
  const headers: Record<string, string> = {
    "content-type": composer ? "application/json" : "application/problem+json",
  };
  if (problem.status === 401) {
    // Tokens are Basic credentials (Composer's http-basic); the dashboard signs in with a form.
    headers["www-authenticate"] = c.get("sessionRoute")
      ? 'Session realm="PACKAGE.broker"'
      : 'Basic realm="PACKAGE.broker", charset="UTF-8"';
  }
  // A problem that says when to come back (`retryAfter`, seconds) says it in the header too.
  if (typeof problem.retryAfter === "number") headers["retry-after"] = String(problem.retryAfter);
  return new Response(JSON.stringify(body), { status: problem.status, headers });
}

export function toProblem(error: unknown, requestId: string | undefined): Problem {
  if (error instanceof DomainError) {
    return problem(STATUS[error.kind], error.code, error.message, error.extensions);
  }
  if (error instanceof ZodError) {
    const errors = error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
    const detail = errors.map((e) => (e.path === "" ? e.message : `${e.path}: ${e.message}`)).join("; ");
    return problem(400, "InvalidRequest", detail, { errors });
  }
  return problem(
    500,
    "InternalError",
    "The server failed to handle this request; the request id identifies it in the server log.",
    {
      requestId,
    },
  );
}

export function problem(
  status: number,
  code: string,
  detail: string,
  extensions: Readonly<Record<string, unknown>> = {},
): Problem {
  return {
    type: "about:blank",
    title: TITLES[status] ?? "Error",
    status,
    detail,
    code,
    ...extensions,
  };
}
