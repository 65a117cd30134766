import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/** The `route` label of a request that no route answers (404 RouteNotFound, a method not served). */
export const UNMATCHED_ROUTE = "unmatched";

/** The `method` label of a method the server serves no route with. */
export const OTHER_METHOD = "other";

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * The route pattern a request matched (`/p2/:vendor/:file`), never the path itself: the label
 * set of the request metrics is bounded by the server's routes, whatever paths clients send.
 * Read after `next()`: the route whose handler answered; when a middleware answered first (the
 * token guard, the rate limiter), the first route the request matched. Middleware registered
 * with `use` (method ALL) is not a route: a request that only matched middleware is
 * {@link UNMATCHED_ROUTE}.
 */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  const answered = routes[c.req.routeIndex];
  if (answered !== undefined && answered.method !== "ALL") return answered.path;
  return routes.find((route) => route.method !== "ALL")?.path ?? UNMATCHED_ROUTE;
}

/** The request's method, or {@link OTHER_METHOD} for one no route is registered with. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : OTHER_METHOD;
}
