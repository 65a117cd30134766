import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { toProblem } from "../error-responses.ts";
import { readJsonValue } from "../read-body.ts";
import type { ApiOperation, OperationHandler, OperationInput } from "./api-operation.ts";

/** An operation as mounted: its full path (`/api/tokens/:id`) and its tag in the document. */
export interface MountedOperation {
  readonly fullPath: string;
  readonly tag: string;
  readonly operation: ApiOperation;
}

/**
 * A group of management API operations under one base path (`/api/tokens`), each registered
 * with its guard and validation from its ApiOperation, and remembered for the OpenAPI document.
 */
export class ApiRouter {
  readonly base: string;
  readonly tag: string;
  readonly tagDescription: string;
  readonly hono = new Hono<AppEnv>();
  readonly #operations: MountedOperation[] = [];
  readonly #guard: TokenGuard;
  readonly #maxJsonBytes: number;

  constructor(options: {
    base: string;
    tag: string;
    tagDescription: string;
    guard: TokenGuard;
    maxJsonBytes: number;
  }) {
    this.base = options.base;
    this.tag = options.tag;
    this.tagDescription = options.tagDescription;
    this.#guard = options.guard;
    this.#maxJsonBytes = options.maxJsonBytes;
  }

  get operations(): readonly MountedOperation[] {
    return this.#operations;
  }

  /** Middleware that runs before every operation of this router (after routing). */
  use(middleware: MiddlewareHandler<AppEnv>): this {
    this.hono.use("*", middleware);
    return this;
  }

  add<Body extends z.ZodType | undefined, Query extends z.ZodType | undefined, Param extends string = never>(
    operation: ApiOperation<Body, Query, Param>,
    handler: OperationHandler<Body, Query, Param>,
  ): this {
    const described: ApiOperation = operation;
    assertParamsListed(described);
    const maxJsonBytes = this.#maxJsonBytes;
    const run: MiddlewareHandler<AppEnv> = async (c) => {
      let query: unknown;
      let body: unknown;
      try {
        query = operation.query === undefined ? undefined : operation.query.parse(c.req.query());
        if (operation.body !== undefined) {
          const value = await readJsonValue(c, maxJsonBytes);
          body = operation.parseBody === undefined ? operation.body.parse(value) : operation.parseBody(value);
        }
      } catch (error) {
        await recordRefusedInput(c, described, error);
        throw error;
      }
      const params = c.req.param() as Record<Param, string>;
      return handler(c, { body, query, params } as OperationInput<Body, Query, Param>);
    };
    const method = operation.method.toUpperCase();
    if (operation.access === "public") this.hono.on(method, operation.path, run);
    else {
      const guard = this.#guard(operation.access, {
        duringTwoFactorEnrolment: operation.duringTwoFactorEnrolment === true,
      });
      this.hono.on(method, operation.path, guard, run);
    }
    this.#operations.push({
      fullPath: `${this.base}${operation.path === "/" ? "" : operation.path}`,
      tag: this.tag,
      operation: described,
    });
    return this;
  }
}

function assertParamsListed(operation: ApiOperation): void {
  const names = [...operation.path.matchAll(/:(\w+)/g)].map((match) => match[1] ?? "");
  const listed = Object.keys(operation.params ?? {});
  if (names.length !== listed.length || names.some((name) => !listed.includes(name))) {
    throw new Error(`${operation.operationId}: path parameters ${names.join(", ")} must be described`);
  }
}

/** A refused body or query of a change: its audit event, failed, with the code and the fields. */
async function recordRefusedInput(
  c: Context<AppEnv>,
  operation: ApiOperation,
  error: unknown,
): Promise<void> {
  if (operation.onInvalidInput !== undefined) {
    await operation.onInvalidInput(c, error);
    return;
  }
  if (operation.audit === undefined) return;
  const problem = toProblem(error, c.get("requestId"));
  await c.get("audit").record({
    event: operation.audit.event,
    action: operation.audit.action,
    outcome: "failure",
    target: { type: operation.audit.target },
    details: {
      code: problem.code,
      ...(Array.isArray(problem.errors)
        ? { fields: (problem.errors as { path: string }[]).map((e) => e.path).slice(0, 20) }
        : {}),
    },
  });
}
