import type { MiddlewareHandler } from "hono";
import { requireScope } from "../../access/access-grant.ts";
import { parseAuthorization } from "../../access/parse-authorization.ts";
import type { TokenScope } from "../../access/token-scope.ts";
import type { TokenService } from "../../access/token-service.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { AppEnv } from "../app-env.ts";

/**
 * Every route but the health checks needs a token, as HTTP Basic (any username, the token as the
 * password: what Composer's http-basic sends) or as a Bearer token. The token must hold `scope`.
 */
export function requireToken(tokens: TokenService, scope: TokenScope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const presented = parseAuthorization(c.req.header("authorization"));
    if (presented === null) {
      throw new DomainError(
        "unauthenticated",
        "AuthenticationRequired",
        "authentication required: send a token as HTTP Basic password or Bearer token (auth.json http-basic or bearer)",
      );
    }
    if (presented === "malformed") {
      throw new DomainError(
        "unauthenticated",
        "MalformedAuthorization",
        "the Authorization header is malformed: use Basic (any username, the token as password) or Bearer <token>",
      );
    }
    const grant = await tokens.authenticate(presented);
    requireScope(grant, scope);
    c.set("grant", grant);
    await next();
  };
}
