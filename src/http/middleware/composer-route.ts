import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.ts";

/** Marks the Composer protocol routes, whose errors carry a `warning` that Composer prints. */
export const composerRoute: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("composerRoute", true);
  await next();
};
