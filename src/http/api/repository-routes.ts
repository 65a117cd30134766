import { Hono } from "hono";
import type { TokenService } from "../../access/token-service.ts";
import { addRepositorySchema, type RepositoryService } from "../../sources/repository-service.ts";
import type { AppEnv } from "../app-env.ts";
import { requireToken } from "../middleware/require-token.ts";
import { readJsonBody } from "../read-body.ts";

/** /api/repositories: git repositories as package sources. */
export function repositoryRoutes(deps: {
  tokens: TokenService;
  repositories: RepositoryService;
  maxJsonBytes: number;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin = requireToken(deps.tokens, "admin");
  const write = requireToken(deps.tokens, "write");

  app.get("/", admin, async (c) => c.json({ repositories: await deps.repositories.list() }));

  app.post("/", admin, async (c) => {
    const input = await readJsonBody(c, addRepositorySchema, deps.maxJsonBytes);
    const repository = await deps.repositories.add(input);
    return c.json(repository, 201, { location: `/api/repositories/${repository.id}` });
  });

  app.get("/:id", admin, async (c) => c.json(await deps.repositories.get(c.req.param("id"))));

  app.delete("/:id", admin, async (c) => c.json(await deps.repositories.remove(c.req.param("id"))));

  app.get("/:id/syncs", admin, async (c) =>
    c.json({ syncs: await deps.repositories.syncRuns(c.req.param("id")) }),
  );

  /** Runs the sync and answers with its outcome (versions added, removed, skipped, moved tags). */
  app.post("/:id/sync", write, async (c) => {
    const run = await deps.repositories.sync(c.req.param("id"));
    return c.json(run, run.status === "succeeded" ? 200 : 502);
  });

  return app;
}
