import { z } from "zod";
import type { TokenGuard } from "./middleware/require-token.ts";
import { ApiRouter } from "./openapi/api-router.ts";
import { problemResponse } from "./openapi/problem-schema.ts";
import { problem } from "./error-responses.ts";

/** /health: the process answers. /ready: and its database does too. Neither needs a token. */
export function healthRoutes(ready: () => Promise<void>, guard: TokenGuard): ApiRouter {
  const api = new ApiRouter({
    base: "",
    tag: "Health",
    tagDescription: "Liveness and readiness, for load balancers and orchestrators.",
    guard,
    maxJsonBytes: 0,
  });
  api.add(
    {
      method: "get",
      path: "/health",
      operationId: "getHealth",
      summary: "Liveness",
      access: "public",
      responses: {
        200: { description: "The process answers.", schema: z.object({ status: z.literal("ok") }) },
      },
    },
    (c) => c.json({ status: "ok" }),
  );
  api.add(
    {
      method: "get",
      path: "/ready",
      operationId: "getReadiness",
      summary: "Readiness",
      access: "public",
      responses: {
        200: { description: "The database answers.", schema: z.object({ status: z.literal("ready") }) },
        503: problemResponse("The database does not answer (NotReady)."),
      },
    },
    async (c) => {
      try {
        await ready();
        return c.json({ status: "ready" });
      } catch {
        return c.json(problem(503, "NotReady", "the database does not answer"), 503, {
          "content-type": "application/problem+json",
        });
      }
    },
  );
  return api;
}
