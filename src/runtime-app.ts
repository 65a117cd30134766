import type { Hono } from "hono";
import { createAuditReads } from "./audit/audit-reads.ts";
import { DownloadOverview } from "./catalog/download-overview.ts";
import type { AppEnv } from "./http/app-env.ts";
import { createApp } from "./http/create-app.ts";
import type { Logger } from "./observability/logger.ts";
import { createMetricsRegistry } from "./observability/metrics.ts";
import { MetricsScrape } from "./observability/metrics-scrape.ts";
import type { ProcessSnapshot } from "./observability/process-metrics.ts";
import { AuditSearchIndex } from "./storage/database/audit-search-index.ts";
import { InstallOverviewRecords } from "./storage/database/install-overview-records.ts";
import { SyncRunRecords } from "./storage/database/sync-run-records.ts";
import { LIMITS, type Runtime } from "./runtime.ts";

export interface RuntimeAppOptions {
  /**
   * The counters of every process of the server, for /metrics. Default: this process's alone; a
   * worker of `serve` asks the primary, which gathers them from all processes.
   */
  readonly processMetrics?: () => Promise<readonly ProcessSnapshot[]>;
}

/** The HTTP app over a runtime's services (what `serve` listens with, and in-process tests use). */
export function createRuntimeApp(
  runtime: Runtime,
  logger: Logger,
  options: RuntimeAppOptions = {},
): Hono<AppEnv> {
  const { db } = runtime.database;
  const searchIndex = new AuditSearchIndex(db);
  const syncRuns = new SyncRunRecords(db);
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
    downloadOverview: new DownloadOverview({ records: new InstallOverviewRecords(db), clock: runtime.clock }),
    packageReadme: runtime.packageReadme,
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
      exposition: new MetricsScrape({
        shared: createMetricsRegistry({
          sinks: () => runtime.auditSinks.list(),
          logSize: async () => (await runtime.audit.records.state()).size,
          openAlerts: () => runtime.alerts.openCount(),
          latestCheckpoint: () => runtime.audit.records.latestCheckpoint(),
          searchIndexedThrough: async () => (await searchIndex.status()).indexedThrough,
          jobs: () => runtime.jobs.list(),
          runningSyncs: () => syncRuns.countRunning(),
          now: () => runtime.clock.now(),
        }),
        processes: options.processMetrics ?? (async () => [await runtime.processMetrics.snapshot()]),
        logger,
      }),
      requestCompleted: runtime.processMetrics.requestCompleted,
    },
    baseUrl: runtime.config.baseUrl,
    ready: () => runtime.database.ping(),
    rateLimits: runtime.rateLimits,
    limits: { maxUploadBytes: runtime.config.maxUploadBytes, maxJsonBytes: LIMITS.maxJsonBytes },
  });
}
