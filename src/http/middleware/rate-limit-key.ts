import { createHash } from "node:crypto";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { parseAuthorization } from "../../access/parse-authorization.ts";
import type { RequestAuditing } from "../../audit/request-auditing.ts";
import type { AppEnv } from "../app-env.ts";
import { SESSION_COOKIE } from "../session-cookie.ts";

/**
 * Whose budget a request spends: the presented token's (`token:` and the first 128 bits of its
 * SHA-256, never the token), the dashboard session's (`session:` likewise), or, without
 * credentials, the client address's (`ip:`, resolved through PB_TRUSTED_PROXIES as the audit log
 * resolves it). The key is taken before the credentials are checked, so that a flood of requests
 * costs no token lookups.
 */
export function rateLimitKey(c: Context<AppEnv>, auditing: RequestAuditing): string {
  const header = c.req.header("authorization");
  if (header !== undefined) {
    const presented = parseAuthorization(header);
    if (typeof presented === "string" && presented !== "malformed") return `token:${digest(presented)}`;
  } else {
    const cookie = getCookie(c, SESSION_COOKIE);
    if (cookie !== undefined) return `session:${digest(cookie)}`;
  }
  return `ip:${auditing.clientAddress(c.get("origin")) ?? "unknown"}`;
}

function digest(secret: string): string {
  return createHash("sha256").update(secret).digest("hex").slice(0, 32);
}
