import { Hono } from "hono";
import type { SessionService } from "../access/session-service.ts";
import type { AuditedUsers } from "../access/audited-users.ts";
import type { UserService } from "../access/user-service.ts";
import type { AuditedTokens } from "../access/audited-tokens.ts";
import type { TokenService } from "../access/token-service.ts";
import type { AuditReads } from "../audit/audit-reads.ts";
import type { AuditRetention } from "../audit/retention/audit-retention.ts";
import type { RequestAuditing } from "../audit/request-auditing.ts";
import type { AuditedPackages } from "../catalog/audited-packages.ts";
import type { CatalogReader } from "../catalog/catalog-reader.ts";
import type { DistReader } from "../catalog/dist-reader.ts";
import type { InstallRecorder } from "../catalog/install-recorder.ts";
import { notFound } from "../errors/domain-error.ts";
import type { Logger } from "../observability/logger.ts";
import { logUnhandledError } from "../observability/log-events.ts";
import type { AuditedRepositories } from "../sources/audited-repositories.ts";
import type { RepositoryService } from "../sources/repository-service.ts";
import { auditRetentionRoutes } from "./api/audit-retention-routes.ts";
import { auditApiRoutes, auditNoteRoutes } from "./api/audit-routes.ts";
import { packageRoutes } from "./api/package-routes.ts";
import { repositoryRoutes } from "./api/repository-routes.ts";
import { tokenRoutes } from "./api/token-routes.ts";
import type { AppEnv } from "./app-env.ts";
import { composerRoutes } from "./composer-routes.ts";
import { sessionRoutes } from "./api/session-routes.ts";
import { userRoutes } from "./api/user-routes.ts";
import { errorResponse } from "./error-responses.ts";
import { healthRoutes } from "./health-routes.ts";
import { requestContext } from "./middleware/request-context.ts";
import { tokenGuard } from "./middleware/require-token.ts";

export interface AppDeps {
  readonly logger: Logger;
  readonly tokens: TokenService;
  readonly auditedTokens: AuditedTokens;
  /** Dashboard sign-in (/api/session). */
  readonly sessions: SessionService;
  /** People and roles (/api/users). */
  readonly users: UserService;
  readonly auditedUsers: AuditedUsers;
  /** Cookies are marked Secure when the public URL is https. */
  readonly secureCookies: boolean;
  readonly auditing: RequestAuditing;
  readonly catalog: CatalogReader;
  readonly dists: DistReader;
  readonly installs: InstallRecorder;
  readonly packages: AuditedPackages;
  readonly repositories: RepositoryService;
  readonly auditedRepositories: AuditedRepositories;
  /** Audit log search, export, proofs, verification and checkpoint key (/audit, /api/audit). */
  readonly auditReads: AuditReads;
  /** Audit retention policy, legal hold and purge (/api/audit/retention). */
  readonly auditRetention: AuditRetention;
  /** Resolves when the database answers; rejects otherwise. */
  readonly ready: () => Promise<void>;
  readonly limits: { readonly maxUploadBytes: number; readonly maxJsonBytes: number };
}

/** The whole HTTP surface of the server, built from its services (no adapters in here). */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { maxJsonBytes, maxUploadBytes } = deps.limits;
  const guard = tokenGuard(deps.tokens, deps.auditing, deps.sessions);
  app.use("*", requestContext(deps.logger, deps.auditing));
  app.route("/", healthRoutes(deps.ready));
  app.route(
    "/api/repositories",
    repositoryRoutes({
      guard,
      repositories: deps.repositories,
      audited: deps.auditedRepositories,
      maxJsonBytes,
    }),
  );
  app.route(
    "/api/session",
    sessionRoutes({
      sessions: deps.sessions,
      auditing: deps.auditing,
      secureCookies: deps.secureCookies,
      maxJsonBytes,
    }),
  );
  app.route("/api/users", userRoutes({ users: deps.users, audited: deps.auditedUsers, guard, maxJsonBytes }));
  app.route(
    "/api/tokens",
    tokenRoutes({ tokens: deps.tokens, audited: deps.auditedTokens, guard, maxJsonBytes }),
  );
  app.route("/api/packages", packageRoutes({ guard, packages: deps.packages, maxUploadBytes }));
  app.route("/audit", auditNoteRoutes({ guard, ...deps.auditReads }));
  app.route(
    "/api/audit/retention",
    auditRetentionRoutes({ guard, retention: deps.auditRetention, maxJsonBytes }),
  );
  app.route("/api/audit", auditApiRoutes({ guard, ...deps.auditReads }));
  app.route("/", composerRoutes({ ...deps, guard, maxJsonBytes }));
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
