import { z } from "zod";
import type { AuditedRepositories } from "../../sources/audited-repositories.ts";
import { addRepositorySchema, updateRepositorySchema } from "../../sources/repository-input.ts";
import type { RepositoryService } from "../../sources/repository-service.ts";
import type { IntegrityConflict, UpstreamReport } from "../../sources/composer/upstream-report.ts";
import type { ProxyNameConflict } from "../../storage/database/proxy-records.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import {
  integrityConflictListSchema,
  nameConflictListSchema,
  publicRepositorySchema,
  repositoryDetailSchema,
  repositoryListSchema,
  SYNC_RUN_LIMIT,
  syncRunListQuerySchema,
  syncRunListSchema,
  syncRunSchema,
} from "./repository-schemas.ts";

const ID = { id: "The repository's id." };

/** /api/repositories: git repositories as package sources. */
export function repositoryRoutes(deps: {
  guard: TokenGuard;
  repositories: RepositoryService;
  audited: AuditedRepositories;
  /** Composer upstreams' health and integrity conflicts. */
  upstreams: {
    report(repositoryId: string): Promise<UpstreamReport>;
    integrityConflicts(repositoryId: string): Promise<IntegrityConflict[]>;
    nameConflicts(repositoryId: string): Promise<ProxyNameConflict[]>;
  };
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/repositories",
    tag: "Repositories",
    tagDescription: "Package sources: add, change, remove, sync, and the history of syncs.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "listRepositories",
      summary: "List repositories",
      access: "repositories:read",
      responses: { 200: { description: "Every repository.", schema: repositoryListSchema } },
    },
    async (c) => c.json({ repositories: await deps.repositories.list() }),
  );

  api.add(
    {
      method: "post",
      path: "/",
      operationId: "addRepository",
      summary: "Add a repository",
      description: "Credentials are stored encrypted with the server's secret key and never shown again.",
      access: "repositories:write",
      audit: { event: "repository", action: "added", target: "repository" },
      body: addRepositorySchema,
      responses: {
        201: {
          description: "The repository (not synced yet).",
          schema: publicRepositorySchema,
          headers: { location: "The repository's URL." },
        },
        409: problemResponse("The name is taken."),
      },
    },
    async (c, { body }) => {
      const repository = await deps.audited.add(body, c.get("audit"));
      return c.json(repository, 201, { location: `/api/repositories/${repository.id}` });
    },
  );

  api.add(
    {
      method: "get",
      path: "/:id",
      operationId: "getRepository",
      summary: "Show a repository",
      description: "A composer upstream comes with its health and what the broker stores of it.",
      access: "repositories:read",
      params: ID,
      responses: { 200: { description: "The repository.", schema: repositoryDetailSchema } },
    },
    async (c, { params }) => {
      const repository = await deps.repositories.get(params.id);
      const upstream = repository.type === "composer" ? await deps.upstreams.report(repository.id) : null;
      return c.json({ ...repository, upstream });
    },
  );

  api.add(
    {
      method: "get",
      path: "/:id/integrity-conflicts",
      operationId: "listIntegrityConflicts",
      summary: "Integrity conflicts",
      description:
        "Versions a composer upstream served differently (another reference or shasum) after the broker first saw them; the broker keeps serving the first-seen ones. Empty for git repositories.",
      access: "repositories:read",
      params: ID,
      responses: {
        200: { description: "The conflicts, by package and version.", schema: integrityConflictListSchema },
      },
    },
    async (c, { params }) => {
      const repository = await deps.repositories.get(params.id);
      const conflicts =
        repository.type === "composer" ? await deps.upstreams.integrityConflicts(repository.id) : [];
      return c.json({ conflicts });
    },
  );

  api.add(
    {
      method: "get",
      path: "/:id/name-conflicts",
      operationId: "listNameConflicts",
      summary: "Name conflicts",
      description:
        "Package names this composer upstream and another one both have: the first in priority serves the name, the other is never asked for it. Found by eager syncs and background revalidations. Empty for git repositories.",
      access: "repositories:read",
      params: ID,
      responses: {
        200: { description: "The conflicts, by package name.", schema: nameConflictListSchema },
      },
    },
    async (c, { params }) => {
      const repository = await deps.repositories.get(params.id);
      const conflicts =
        repository.type === "composer" ? await deps.upstreams.nameConflicts(repository.id) : [];
      return c.json({
        conflicts: conflicts.map(({ packageName, ...rest }) => ({ package: packageName, ...rest })),
      });
    },
  );

  api.add(
    {
      method: "patch",
      path: "/:id",
      operationId: "updateRepository",
      summary: "Change a repository",
      description: "`credentials: null` removes the stored credentials.",
      access: "repositories:write",
      audit: { event: "repository", action: "changed", target: "repository" },
      params: ID,
      body: updateRepositorySchema,
      responses: {
        200: { description: "The repository as changed.", schema: publicRepositorySchema },
        409: problemResponse("The name is taken."),
      },
    },
    async (c, { body, params }) => c.json(await deps.audited.update(params.id, body, c.get("audit"))),
  );

  api.add(
    {
      method: "delete",
      path: "/:id",
      operationId: "removeRepository",
      summary: "Remove a repository",
      description: "Its packages disappear from the metadata; their dists stay in the blob store.",
      access: "repositories:write",
      audit: { event: "repository", action: "removed", target: "repository" },
      params: ID,
      responses: {
        200: {
          description: "How many versions went with it.",
          schema: z.object({ removedVersions: z.number().int() }),
        },
      },
    },
    async (c, { params }) => c.json(await deps.audited.remove(params.id, c.get("audit"))),
  );

  api.add(
    {
      method: "get",
      path: "/:id/syncs",
      operationId: "listRepositorySyncs",
      summary: "Sync history",
      description:
        "Newest first, with what each sync changed and why refs were skipped; a running sync with its `progress` (poll `?limit=1` to follow it).",
      access: "repositories:read",
      params: ID,
      query: syncRunListQuerySchema,
      responses: { 200: { description: "The syncs.", schema: syncRunListSchema } },
    },
    async (c, { params, query }) =>
      c.json({ syncs: await deps.repositories.syncRuns(params.id, query.limit ?? SYNC_RUN_LIMIT.default) }),
  );

  api.add(
    {
      method: "post",
      path: "/:id/sync",
      operationId: "syncRepository",
      summary: "Sync now",
      description:
        "Runs the sync and answers with its outcome; while it runs, `GET /api/repositories/{id}/syncs` shows its `progress`. A composer upstream is synced only when it has eager packages (400 `NothingToSync` otherwise): every eager package's metadata and dists are mirrored, or only what its change feed names.",
      access: "repositories:sync",
      audit: { event: "repository", action: "sync_started", target: "repository" },
      params: ID,
      responses: {
        200: { description: "The sync succeeded.", schema: syncRunSchema },
        409: problemResponse("A sync of this repository is running."),
        502: {
          description: "The sync failed (the source did not answer, packages of an eager sync failed, …).",
          schema: syncRunSchema,
        },
      },
    },
    async (c, { params }) => {
      const run = await deps.audited.sync(params.id, c.get("audit"));
      return c.json(run, run.status === "succeeded" ? 200 : 502);
    },
  );

  return api;
}
