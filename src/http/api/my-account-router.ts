import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";

/** A router of the signed-in person's own account (/api/me and below): one tag in the document. */
export function myAccountRouter(base: string, deps: { guard: TokenGuard; maxJsonBytes: number }): ApiRouter {
  return new ApiRouter({
    base,
    tag: "My account",
    tagDescription: "The signed-in person's profile, password, second factor and personal tokens.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });
}
