import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { newId } from "../../ids/new-id.ts";
import { anonymousActor } from "../../audit/audit-event.ts";
import type { RequestAuditing } from "../../audit/request-auditing.ts";
import type { Logger } from "../../observability/logger.ts";
import { logRequestCompleted } from "../../observability/log-events.ts";
import type { RequestSample } from "../../observability/process-metrics.ts";
import type { AppEnv } from "../app-env.ts";
import { methodLabel, routeLabel } from "../route-label.ts";

const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id (a sane incoming X-Request-Id is kept, otherwise `req_<ulid>`), echoes
 * it in the response, starts its (anonymous) audit trail, and logs one "Request completed" line
 * when the response is ready; the same duration goes to `completed` (the request metrics), with
 * the matched route pattern rather than the path.
 */
export function requestContext(
  logger: Logger,
  auditing: RequestAuditing,
  completed: (sample: RequestSample) => void = () => undefined,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId =
      incoming !== undefined && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : `req_${newId()}`;
    c.set("requestId", requestId);
    c.set("composerRoute", false);
    c.set("sessionRoute", false);
    const origin = {
      peer: peerAddress(c),
      forwardedFor: c.req.header("x-forwarded-for"),
      userAgent: c.req.header("user-agent"),
      requestId,
    };
    c.set("origin", origin);
    c.set("audit", auditing.trail(origin, anonymousActor));
    await next();
    // Set on the finished response itself: c.header() after next() makes Hono rebuild the
    // response, which takes @hono/node-server off its fast path.
    try {
      c.res.headers.set("X-Request-Id", requestId);
    } catch {
      // A response with immutable headers (one passed through from fetch): copy it.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set("X-Request-Id", requestId);
    }
    const milliseconds = performance.now() - started;
    logRequestCompleted(logger, requestId, {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration: Math.round(milliseconds * 100) / 100,
    });
    completed({
      method: methodLabel(c.req.method),
      route: routeLabel(c),
      status: c.res.status,
      seconds: milliseconds / 1000,
    });
  };
}

/** The socket's peer address; absent for in-process requests (tests). */
function peerAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}
