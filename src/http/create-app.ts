import { Hono } from "hono";
import type { SessionService } from "../access/session-service.ts";
import type { AuditedUsers } from "../access/audited-users.ts";
import type { UserService } from "../access/user-service.ts";
import type { TwoFactorService } from "../access/two-factor-service.ts";
import type { AuditedAccountLinks } from "../access/audited-account-links.ts";
import type { AuditedPasswordChanges } from "../access/audited-password-changes.ts";
import type { SettingsService } from "../settings/settings-service.ts";
import type { AuditedTokens } from "../access/audited-tokens.ts";
import type { TokenService } from "../access/token-service.ts";
import type { AuditReads } from "../audit/audit-reads.ts";
import type { JobBoard } from "../jobs/job-board.ts";
import type { AlertInbox } from "../audit/alerts/alert-inbox.ts";
import type { AuditSinks } from "../audit/sinks/audit-sinks.ts";
import type { AuditRetention } from "../audit/retention/audit-retention.ts";
import type { RequestAuditing } from "../audit/request-auditing.ts";
import type { AuditedPackages } from "../catalog/audited-packages.ts";
import type { CatalogReader } from "../catalog/catalog-reader.ts";
import type { DistReader } from "../catalog/dist-reader.ts";
import type { InstallRecorder } from "../catalog/install-recorder.ts";
import type { DownloadOverview } from "../catalog/download-overview.ts";
import type { PackageBrowser } from "../catalog/package-browser.ts";
import type { PackageReadme } from "../catalog/package-readme.ts";
import { notFound } from "../errors/domain-error.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricsExposition } from "../observability/metrics-scrape.ts";
import type { RequestSample } from "../observability/process-metrics.ts";
import { logUnhandledError } from "../observability/log-events.ts";
import type { AuditedRepositories } from "../sources/audited-repositories.ts";
import type { RepositoryService } from "../sources/repository-service.ts";
import { auditRetentionRoutes } from "./api/audit-retention-routes.ts";
import { auditSinkRoutes } from "./api/audit-sink-routes.ts";
import { alertRoutes } from "./api/alert-routes.ts";
import { jobRoutes } from "./api/job-routes.ts";
import { auditApiRoutes, auditNoteRoutes } from "./api/audit-routes.ts";
import { downloadRoutes } from "./api/download-routes.ts";
import { packageRoutes } from "./api/package-routes.ts";
import { repositoryRoutes } from "./api/repository-routes.ts";
import { tokenRoutes } from "./api/token-routes.ts";
import type { AppEnv } from "./app-env.ts";
import { composerRoutes } from "./composer-routes.ts";
import { uiRoutes } from "./ui-routes.ts";
import { sessionRoutes } from "./api/session-routes.ts";
import { userRoutes } from "./api/user-routes.ts";
import { meRoutes } from "./api/me-routes.ts";
import { myTokenRoutes } from "./api/my-token-routes.ts";
import { myTwoFactorRoutes } from "./api/my-two-factor-routes.ts";
import { accountLinkRoutes, invitationRoutes } from "./api/account-link-routes.ts";
import { settingsRoutes } from "./api/settings-routes.ts";
import { errorResponse } from "./error-responses.ts";
import { healthRoutes } from "./health-routes.ts";
import { metricsRoutes } from "./metrics-routes.ts";
import { openApiRoutes } from "./openapi/openapi-routes.ts";
import { PRODUCT_VERSION } from "../product-version.ts";
import { requestContext } from "./middleware/request-context.ts";
import { tokenGuard } from "./middleware/require-token.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import type { FailOpenRateLimits } from "../rate-limit/fail-open-rate-limits.ts";
import type { ComposerProxy } from "../sources/composer/composer-proxy.ts";

export interface AppDeps {
  readonly logger: Logger;
  readonly tokens: TokenService;
  readonly auditedTokens: AuditedTokens;
  /** Dashboard sign-in (/api/session). */
  readonly sessions: SessionService;
  /** People and roles (/api/users). */
  readonly users: UserService;
  readonly auditedUsers: AuditedUsers;
  /** Each person's second factor (/api/me/two-factor) and admins' resets. */
  readonly twoFactor: TwoFactorService;
  /** Invitations, the first-run setup link, password resets (/api/invitations, /api/account-links). */
  readonly accountLinks: AuditedAccountLinks;
  /** A person's change of their own password (/api/me/password). */
  readonly passwordChanges: AuditedPasswordChanges;
  /** Runtime settings (/api/settings). */
  readonly settings: SettingsService;
  /** Cookies are marked Secure when the public URL is https. */
  readonly secureCookies: boolean;
  readonly auditing: RequestAuditing;
  readonly catalog: CatalogReader;
  readonly dists: DistReader;
  readonly installs: InstallRecorder;
  readonly packages: AuditedPackages;
  /** Package lists, versions and download counts (/api/packages). */
  readonly packageBrowser: PackageBrowser;
  /** Installs over time across the catalog (/api/downloads). */
  readonly downloadOverview: DownloadOverview;
  /** A package version's README (/api/packages/{vendor}/{project}/readme). */
  readonly packageReadme: PackageReadme;
  readonly repositories: RepositoryService;
  readonly auditedRepositories: AuditedRepositories;
  /** Composer upstreams' health and integrity conflicts (/api/repositories/{id}). */
  readonly upstreams: ComposerProxy;
  /** Audit log search, export, proofs, verification and checkpoint key (/audit, /api/audit). */
  readonly auditReads: AuditReads;
  /** Audit retention policy, legal hold and purge (/api/audit/retention). */
  readonly auditRetention: AuditRetention;
  /** Where the audit log is forwarded (/api/audit/sinks). */
  readonly auditSinks: AuditSinks;
  /** What the alert rules raised (/api/alerts). */
  readonly alerts: AlertInbox;
  /** The background jobs and their history (/api/jobs). */
  readonly jobs: JobBoard;
  /**
   * /metrics: what it answers, PB_METRICS_TOKEN (null: no metrics), and where each answered
   * request is counted.
   */
  readonly metrics: {
    readonly exposition: MetricsExposition;
    readonly token: string | null;
    readonly requestCompleted: (sample: RequestSample) => void;
  };
  /** The server's public URL (PB_BASE_URL), the server of the OpenAPI document. */
  readonly baseUrl: string;
  /** Resolves when the database answers; rejects otherwise. */
  readonly ready: () => Promise<void>;
  readonly limits: { readonly maxUploadBytes: number; readonly maxJsonBytes: number };
  /** Per-token (or per-address) request budgets (docs/rate-limits.md); null: no rate limits. */
  readonly rateLimits: FailOpenRateLimits | null;
}

const API_DESCRIPTION = [
  "Everything the dashboard does, for scripts: repositories, packages, tokens, people, settings and the audit log.",
  "Authenticate with an API token (Bearer, or the password of HTTP Basic) or the dashboard's session cookie plus X-CSRF-Token.",
  "Errors are RFC 9457 problem documents with a stable `code` (docs/api.md).",
].join(" ");

/** The whole HTTP surface of the server, built from its services (no adapters in here). */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { maxJsonBytes, maxUploadBytes } = deps.limits;
  const guard = tokenGuard(deps.tokens, deps.auditing, deps.sessions);
  app.use("*", requestContext(deps.logger, deps.auditing, deps.metrics.requestCompleted));
  if (deps.rateLimits !== null) app.use("*", rateLimit(deps.rateLimits, deps.auditing));
  const routers = [
    healthRoutes(deps.ready, guard),
    metricsRoutes({ ...deps.metrics, guard }),
    sessionRoutes({ ...deps, guard, maxJsonBytes }),
    userRoutes({
      users: deps.users,
      audited: deps.auditedUsers,
      twoFactor: deps.twoFactor,
      links: deps.accountLinks,
      guard,
      maxJsonBytes,
    }),
    invitationRoutes({ links: deps.accountLinks, guard, maxJsonBytes }),
    accountLinkRoutes({ links: deps.accountLinks, guard, maxJsonBytes }),
    tokenRoutes({ tokens: deps.tokens, audited: deps.auditedTokens, guard, maxJsonBytes }),
    meRoutes({
      users: deps.users,
      passwords: deps.passwordChanges,
      auditing: deps.auditing,
      guard,
      maxJsonBytes,
    }),
    myTokenRoutes({ tokens: deps.tokens, audited: deps.auditedTokens, guard, maxJsonBytes }),
    myTwoFactorRoutes({ twoFactor: deps.twoFactor, auditing: deps.auditing, guard, maxJsonBytes }),
    settingsRoutes({ settings: deps.settings, guard, maxJsonBytes }),
    repositoryRoutes({
      guard,
      repositories: deps.repositories,
      audited: deps.auditedRepositories,
      upstreams: deps.upstreams,
      maxJsonBytes,
    }),
    packageRoutes({
      guard,
      packages: deps.packages,
      browser: deps.packageBrowser,
      readme: deps.packageReadme,
      maxUploadBytes,
      maxJsonBytes,
    }),
    downloadRoutes({ guard, downloads: deps.downloadOverview, maxJsonBytes }),
    auditApiRoutes({ guard, ...deps.auditReads }),
    auditRetentionRoutes({ guard, retention: deps.auditRetention, maxJsonBytes }),
    auditSinkRoutes({ guard, sinks: deps.auditSinks, maxJsonBytes }),
    alertRoutes({ guard, alerts: deps.alerts, maxJsonBytes }),
    jobRoutes({ guard, jobs: deps.jobs, maxJsonBytes }),
    auditNoteRoutes({ guard, ...deps.auditReads }),
  ];
  for (const router of routers) app.route(router.base === "" ? "/" : router.base, router.hono);
  app.route(
    "/",
    openApiRoutes(routers, {
      title: "PACKAGE.broker management API",
      version: PRODUCT_VERSION,
      description: API_DESCRIPTION,
      serverUrl: deps.baseUrl,
    }),
  );
  app.route("/", composerRoutes({ ...deps, guard, maxJsonBytes }));
  app.route("/", uiRoutes());
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
