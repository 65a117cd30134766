import type { MiddlewareHandler } from "hono";
import { ulid } from "ulid";
import type { Logger } from "../../observability/logger.ts";
import { logRequestCompleted } from "../../observability/log-events.ts";
import type { AppEnv } from "../app-env.ts";

const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id (a sane incoming X-Request-Id is kept, otherwise `req_<ulid>`), echoes
 * it in the response, and logs one "Request completed" line when the response is ready.
 */
export function requestContext(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId =
      incoming !== undefined && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : `req_${ulid()}`;
    c.set("requestId", requestId);
    c.set("composerRoute", false);
    await next();
    c.header("X-Request-Id", requestId);
    logRequestCompleted(logger, requestId, {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration: Math.round((performance.now() - started) * 100) / 100,
    });
  };
}
