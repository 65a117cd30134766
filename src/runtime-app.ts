import type { Hono } from "hono";
import { createAuditReads } from "./audit/audit-reads.ts";
import type { AppEnv } from "./http/app-env.ts";
import { createApp } from "./http/create-app.ts";
import type { Logger } from "./observability/logger.ts";
import { createMetricsRegistry } from "./observability/metrics.ts";
import { LIMITS, type Runtime } from "./runtime.ts";

/** The HTTP app over a runtime's services (what `serve` listens with, and in-process tests use). */
export function createRuntimeApp(runtime: Runtime, logger: Logger): Hono<AppEnv> {
  return createApp({
    logger,
    tokens: runtime.tokens,
    auditedTokens: runtime.auditedTokens,
    sessions: runtime.sessions,
    users: runtime.users,
    auditedUsers: runtime.auditedUsers,
    twoFactor: runtime.twoFactor,
    accountLinks: runtime.auditedAccountLinks,
    passwordChanges: runtime.auditedPasswordChanges,
    settings: runtime.settings,
    secureCookies: runtime.config.baseUrl.startsWith("https:"),
    auditing: runtime.audit.auditing,
    catalog: runtime.catalog,
    dists: runtime.dists,
    installs: runtime.installs,
    packages: runtime.packages,
    packageBrowser: runtime.packageBrowser,
    repositories: runtime.repositories,
    auditedRepositories: runtime.auditedRepositories,
    upstreams: runtime.proxy,
    auditReads: createAuditReads(runtime.audit, runtime.database.db),
    auditRetention: runtime.auditRetention,
    auditSinks: runtime.auditSinks,
    alerts: runtime.alerts,
    jobs: runtime.jobs,
    metrics: {
      token: runtime.config.metricsToken,
      registry: createMetricsRegistry({
        sinks: () => runtime.auditSinks.list(),
        logSize: async () => (await runtime.audit.records.state()).size,
        openAlerts: () => runtime.alerts.openCount(),
        rateLimitUnchecked: () => runtime.rateLimits?.unchecked ?? 0,
      }),
    },
    baseUrl: runtime.config.baseUrl,
    ready: () => runtime.database.ping(),
    rateLimits: runtime.rateLimits,
    limits: { maxUploadBytes: runtime.config.maxUploadBytes, maxJsonBytes: LIMITS.maxJsonBytes },
  });
}
