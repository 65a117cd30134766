import type { MiddlewareHandler } from "hono";
import type { RequestAuditing } from "../../audit/request-auditing.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { FailOpenRateLimits } from "../../rate-limit/fail-open-rate-limits.ts";
import type { RateLimitDecision } from "../../rate-limit/rate-limiter.ts";
import type { AppEnv } from "../app-env.ts";
import { errorResponse } from "../error-responses.ts";
import { UNLIMITED_PATHS } from "../unlimited-paths.ts";
import { rateLimitKey } from "./rate-limit-key.ts";

/** The Composer protocol's paths: their 429 carries a `warning` Composer prints. */
const COMPOSER_PATH = /^\/(?:packages\.json$|p2\/|dists\/|downloads$)/;

/**
 * Counts each request (except health, readiness and metrics) against its token's or address's
 * budget and answers with the RateLimit header fields of the IETF draft
 * (draft-ietf-httpapi-ratelimit-headers): RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset
 * (seconds until the whole budget is back) and RateLimit-Policy (`limit;w=window`). Over the
 * budget: 429 RateLimited with Retry-After. When the limiter cannot answer, the request goes
 * through without these headers (FailOpenRateLimits).
 */
export function rateLimit(limits: FailOpenRateLimits, auditing: RequestAuditing): MiddlewareHandler<AppEnv> {
  const policy = `${limits.policy.limit};w=${Math.ceil(limits.policy.windowMs / 1000)}`;
  return async (c, next) => {
    if (UNLIMITED_PATHS.has(c.req.path)) {
      await next();
      return;
    }
    const decision = await limits.check(rateLimitKey(c, auditing));
    if (decision === null) {
      await next();
      return;
    }
    const headers = rateLimitHeaders(decision, policy);
    if (!decision.allowed) {
      if (COMPOSER_PATH.test(c.req.path)) c.set("composerRoute", true);
      const response = errorResponse(c, rateLimited(decision));
      for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
      return response;
    }
    await next();
    try {
      for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    } catch {
      // A response with immutable headers (one passed through from fetch): copy it.
      c.res = new Response(c.res.body, c.res);
      for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    }
    return undefined;
  };
}

function rateLimitHeaders(decision: RateLimitDecision, policy: string): Record<string, string> {
  return {
    "RateLimit-Limit": String(decision.limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(Math.ceil(decision.resetMs / 1000)),
    "RateLimit-Policy": policy,
  };
}

/** 429 RateLimited: `retryAfter` (whole seconds, at least 1) becomes the Retry-After header. */
function rateLimited(decision: RateLimitDecision): DomainError {
  const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  return new DomainError(
    "too-many-requests",
    "RateLimited",
    `rate limit exceeded: ${decision.limit} requests per window for this token (or address without a token); retry in ${retryAfter} s`,
    { retryAfter },
  );
}
