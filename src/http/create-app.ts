import { Hono } from "hono";
import type { TokenService } from "../access/token-service.ts";
import type { CatalogReader } from "../catalog/catalog-reader.ts";
import type { DistReader } from "../catalog/dist-reader.ts";
import type { InstallRecorder } from "../catalog/install-recorder.ts";
import type { PackageUpload } from "../catalog/package-upload.ts";
import { notFound } from "../errors/domain-error.ts";
import type { Logger } from "../observability/logger.ts";
import { logUnhandledError } from "../observability/log-events.ts";
import type { RepositoryService } from "../sources/repository-service.ts";
import { packageRoutes } from "./api/package-routes.ts";
import { repositoryRoutes } from "./api/repository-routes.ts";
import { tokenRoutes } from "./api/token-routes.ts";
import type { AppEnv } from "./app-env.ts";
import { composerRoutes } from "./composer-routes.ts";
import { errorResponse } from "./error-responses.ts";
import { healthRoutes } from "./health-routes.ts";
import { requestContext } from "./middleware/request-context.ts";

export interface AppDeps {
  readonly logger: Logger;
  readonly tokens: TokenService;
  readonly catalog: CatalogReader;
  readonly dists: DistReader;
  readonly installs: InstallRecorder;
  readonly uploads: PackageUpload;
  readonly repositories: RepositoryService;
  /** Resolves when the database answers; rejects otherwise. */
  readonly ready: () => Promise<void>;
  readonly limits: { readonly maxUploadBytes: number; readonly maxJsonBytes: number };
}

/** The whole HTTP surface of the server, built from its services (no adapters in here). */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { maxJsonBytes, maxUploadBytes } = deps.limits;
  app.use("*", requestContext(deps.logger));
  app.route("/", healthRoutes(deps.ready));
  app.route(
    "/api/repositories",
    repositoryRoutes({ tokens: deps.tokens, repositories: deps.repositories, maxJsonBytes }),
  );
  app.route("/api/tokens", tokenRoutes({ tokens: deps.tokens, maxJsonBytes }));
  app.route("/api/packages", packageRoutes({ tokens: deps.tokens, uploads: deps.uploads, maxUploadBytes }));
  app.route("/", composerRoutes({ ...deps, maxJsonBytes }));
  // Answered here rather than thrown: Hono calls the not-found handler outside its error handling,
  // so a throw would skip the request-context middleware (no X-Request-Id, no request log line).
  app.notFound((c) => errorResponse(c, notFound("RouteNotFound", "no such resource")));
  app.onError((error, c) => {
    const response = errorResponse(c, error);
    if (response.status >= 500) logUnhandledError(deps.logger, c.get("requestId"), error);
    return response;
  });
  return app;
}
