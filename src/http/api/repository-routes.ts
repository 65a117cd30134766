import { Hono } from "hono";
import type { AuditedRepositories } from "../../sources/audited-repositories.ts";
import {
  addRepositorySchema,
  updateRepositorySchema,
  type RepositoryService,
} from "../../sources/repository-service.ts";
import type { AppEnv } from "../app-env.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { readJsonBody } from "../read-body.ts";

/** /api/repositories: git repositories as package sources. */
export function repositoryRoutes(deps: {
  guard: TokenGuard;
  repositories: RepositoryService;
  audited: AuditedRepositories;
  maxJsonBytes: number;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = deps.guard("repositories:read");
  const change = deps.guard("repositories:write");
  const sync = deps.guard("repositories:sync");

  app.get("/", read, async (c) => c.json({ repositories: await deps.repositories.list() }));

  app.post("/", change, async (c) => {
    const input = await readJsonBody(c, addRepositorySchema, deps.maxJsonBytes);
    const repository = await deps.audited.add(input, c.get("audit"));
    return c.json(repository, 201, { location: `/api/repositories/${repository.id}` });
  });

  app.get("/:id", read, async (c) => c.json(await deps.repositories.get(c.req.param("id"))));

  app.patch("/:id", change, async (c) => {
    const input = await readJsonBody(c, updateRepositorySchema, deps.maxJsonBytes);
    return c.json(await deps.audited.update(c.req.param("id"), input, c.get("audit")));
  });

  app.delete("/:id", change, async (c) =>
    c.json(await deps.audited.remove(c.req.param("id"), c.get("audit"))),
  );

  app.get("/:id/syncs", read, async (c) =>
    c.json({ syncs: await deps.repositories.syncRuns(c.req.param("id")) }),
  );

  /** Runs the sync and answers with its outcome (versions added, removed, skipped, moved tags). */
  app.post("/:id/sync", sync, async (c) => {
    const run = await deps.audited.sync(c.req.param("id"), c.get("audit"));
    return c.json(run, run.status === "succeeded" ? 200 : 502);
  });

  return app;
}
