import type { Context } from "hono";
import type { z } from "zod";
import type { Permission } from "../../access/permission.ts";
import type { AuditCategory } from "../../audit/audit-event.ts";
import type { AppEnv } from "../app-env.ts";

/**
 * Who may call an operation:
 * - a permission: a token or a person whose grant allows it (the guard checks, 401/403 otherwise);
 * - `signed-in`: a person in a dashboard session (any role), acting on their own account;
 * - `public`: anyone (health, the public key, signing in, links sent by e-mail).
 */
export type OperationAccess = Permission | "signed-in" | "public";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface OperationResponse {
  readonly description: string;
  /** The JSON body. Absent: no body (204) or a body described by `contentType` alone. */
  readonly schema?: z.ZodType;
  /** Defaults to application/json when `schema` is given. */
  readonly contentType?: string;
  /** A body in one of several media types, described by them alone (an export, a download). */
  readonly contentTypes?: readonly string[];
  /** Response headers worth documenting (name → description). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface OperationAudit {
  readonly event: AuditCategory;
  readonly action: string;
  /** The target's type (`token`, `user`, `repository`, …). */
  readonly target: string;
}

/** A request body that is not JSON (an upload): the handler reads it itself. */
export interface RawBody {
  readonly contentTypes: readonly string[];
  readonly description: string;
}

/**
 * One operation of the management API: the route, who may call it, and the zod schemas its input
 * is validated with and its responses are described by. The same object registers the route
 * (ApiRouter) and describes it (openapi-document.ts), so the document cannot drift from the code.
 */
export interface ApiOperation<
  Body extends z.ZodType | undefined = z.ZodType | undefined,
  Query extends z.ZodType | undefined = z.ZodType | undefined,
  Param extends string = string,
> {
  readonly method: HttpMethod;
  /** Relative to the router's base, in Hono's syntax (`/:id`). */
  readonly path: string;
  /** Unique across the API: the name clients generate methods from. */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly access: OperationAccess;
  /** Open to a session that must enrol in 2FA first (see GuardOptions); false by default. */
  readonly duringTwoFactorEnrolment?: boolean;
  /** A JSON body, parsed and validated before the handler runs (400, 413, 415 otherwise). */
  readonly body?: Body;
  readonly rawBody?: RawBody;
  /**
   * Checks the body instead of `body.parse` (which then only describes it): for a service whose
   * own validation has its own error (the settings' `InvalidSettings`, shared with the CLI).
   */
  readonly parseBody?: (value: unknown) => Body extends z.ZodType ? z.output<Body> : never;
  /** The query string as an object of strings, validated before the handler runs. */
  readonly query?: Query;
  /** Path parameters (name → description); every `:name` of the path must be listed. */
  readonly params?: Readonly<Record<Param, string>>;
  /**
   * The audit event the operation records (a change). A request whose body or query is refused
   * is recorded as this event with outcome `failure` and the error's code, before the 4xx.
   */
  readonly audit?: OperationAudit;
  /** Called when the body or the query is refused, before the error is answered (to audit it). */
  readonly onInvalidInput?: (c: Context<AppEnv>, error: unknown) => Promise<void>;
  /** Success responses and the errors specific to the operation; the usual errors are added. */
  readonly responses: Readonly<Record<number, OperationResponse>>;
}

export interface OperationInput<Body, Query, Param extends string> {
  readonly body: Body extends z.ZodType ? z.output<Body> : undefined;
  readonly query: Query extends z.ZodType ? z.output<Query> : undefined;
  /** The path parameters, decoded. */
  readonly params: Readonly<Record<Param, string>>;
}

export type OperationHandler<Body, Query, Param extends string> = (
  c: Context<AppEnv>,
  input: OperationInput<Body, Query, Param>,
) => Response | Promise<Response>;
