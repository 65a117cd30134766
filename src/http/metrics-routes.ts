import { createHash, timingSafeEqual } from "node:crypto";
import { parseAuthorization } from "../access/parse-authorization.ts";
import { DomainError, notFound } from "../errors/domain-error.ts";
import type { MetricsExposition } from "../observability/metrics-scrape.ts";
import type { TokenGuard } from "./middleware/require-token.ts";
import { ApiRouter } from "./openapi/api-router.ts";
import { problemResponse } from "./openapi/problem-schema.ts";

/**
 * /metrics: Prometheus metrics (docs/operations/metrics.md) for a scraper holding
 * PB_METRICS_TOKEN (as a Bearer token, or the password of HTTP Basic). Unset: 404, the server
 * exposes no metrics. A refused scrape is an `authentication`/`metrics_refused` event.
 */
export function metricsRoutes(deps: {
  exposition: MetricsExposition;
  token: string | null;
  guard: TokenGuard;
}): ApiRouter {
  const api = new ApiRouter({
    base: "",
    tag: "Metrics",
    tagDescription: "Prometheus metrics, for a scraper with PB_METRICS_TOKEN.",
    guard: deps.guard,
    maxJsonBytes: 0,
  });
  const expected = deps.token === null ? null : digest(deps.token);
  api.add(
    {
      method: "get",
      path: "/metrics",
      operationId: "getMetrics",
      summary: "Prometheus metrics",
      description:
        "The text exposition format. Authenticate with PB_METRICS_TOKEN (`Authorization: Bearer <token>`); API tokens are not accepted here.",
      access: "public",
      responses: {
        200: {
          description: "The metrics.",
          contentType: "text/plain; version=0.0.4; charset=utf-8",
        },
        401: problemResponse("No PB_METRICS_TOKEN, or another one (MetricsTokenInvalid)."),
        404: problemResponse("PB_METRICS_TOKEN is not set: no metrics (MetricsDisabled)."),
      },
    },
    async (c) => {
      if (expected === null)
        throw notFound("MetricsDisabled", "metrics are off: set PB_METRICS_TOKEN to expose them");
      const presented = parseAuthorization(c.req.header("authorization"));
      if (
        typeof presented !== "string" ||
        presented === "malformed" ||
        !timingSafeEqual(digest(presented), expected)
      ) {
        await c.get("audit").record({
          event: "authentication",
          action: "metrics_refused",
          outcome: "failure",
          target: { type: "metrics" },
          details: { code: presented === null ? "MissingCredentials" : "MetricsTokenInvalid" },
        });
        throw new DomainError(
          "unauthenticated",
          "MetricsTokenInvalid",
          "give PB_METRICS_TOKEN as a Bearer token",
        );
      }
      return c.body(await deps.exposition.render(), 200, { "content-type": deps.exposition.contentType });
    },
  );
  return api;
}

/** Equal-length digests, so the comparison takes the same time whatever was presented. */
function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
