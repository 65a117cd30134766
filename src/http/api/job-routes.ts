import type { JobBoard } from "../../jobs/job-board.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import { jobListSchema, jobRunPageSchema, jobRunQuerySchema } from "./job-schemas.ts";

/**
 * /api/jobs (`audit:read`): the background jobs (checkpoints, retention purge, sink delivery,
 * alert rules, change feeds), which node runs each, and their history (docs/operations/jobs.md).
 */
export function jobRoutes(deps: { jobs: JobBoard; guard: TokenGuard; maxJsonBytes: number }): ApiRouter {
  const api = new ApiRouter({
    base: "/api/jobs",
    tag: "Jobs",
    tagDescription: "Background jobs: which node runs each one now, and what their rounds did.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "listJobs",
      summary: "List background jobs",
      description: "Every job with its lease (who runs it) and its latest run.",
      access: "audit:read",
      responses: { 200: { description: "The jobs.", schema: jobListSchema } },
    },
    async (c) => c.json({ jobs: await deps.jobs.list() }),
  );

  api.add(
    {
      method: "get",
      path: "/runs",
      operationId: "listJobRuns",
      summary: "History of every job",
      description: "Rounds that did something or failed, newest first, in pages; kept 30 days.",
      access: "audit:read",
      query: jobRunQuerySchema,
      responses: {
        200: { description: "A page of runs.", schema: jobRunPageSchema },
        400: problemResponse("A malformed cursor or limit."),
      },
    },
    async (c, { query }) => c.json(await deps.jobs.runs(query)),
  );

  api.add(
    {
      method: "get",
      path: "/:name/runs",
      operationId: "listRunsOfJob",
      summary: "History of one job",
      description: "The job's rounds that did something or failed, newest first, in pages.",
      access: "audit:read",
      params: { name: "The job's name, e.g. `audit.checkpoints`." },
      query: jobRunQuerySchema,
      responses: {
        200: { description: "A page of runs.", schema: jobRunPageSchema },
        400: problemResponse("A malformed cursor or limit."),
        404: problemResponse("No such job."),
      },
    },
    async (c, { params, query }) => c.json(await deps.jobs.runs({ ...query, job: params.name })),
  );

  return api;
}
