import type { DownloadOverview } from "../../catalog/download-overview.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { downloadOverviewQuerySchema, downloadOverviewSchema } from "./download-schemas.ts";

/** /api/downloads: installs over time across the catalog. */
export function downloadRoutes(deps: {
  guard: TokenGuard;
  downloads: DownloadOverview;
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/downloads",
    tag: "Downloads",
    tagDescription: "Installs reported by Composer, summed across packages.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "getDownloadOverview",
      summary: "Downloads across packages",
      description:
        "Installs reported by Composer (`POST /downloads`) summed over every package the token's patterns allow (no other package adds to a sum): the all-time total, one count per UTC day for the last `days` days, and the packages installed most in those days.",
      access: "packages:read",
      query: downloadOverviewQuerySchema,
      responses: { 200: { description: "The counts.", schema: downloadOverviewSchema } },
    },
    async (c, { query }) =>
      c.json(
        await deps.downloads.summary(c.get("grant"), query.days === undefined ? {} : { days: query.days }),
      ),
  );

  return api;
}
