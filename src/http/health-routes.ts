import { Hono } from "hono";
import type { AppEnv } from "./app-env.ts";
import { problem } from "./error-responses.ts";

/** /health: the process answers. /ready: and its database does too. Neither needs a token. */
export function healthRoutes(ready: () => Promise<void>): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", async (c) => {
    try {
      await ready();
      return c.json({ status: "ready" });
    } catch {
      return c.json(problem(503, "NotReady", "the database does not answer"), 503, {
        "content-type": "application/problem+json",
      });
    }
  });
  return app;
}
