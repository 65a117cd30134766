import { systemContext } from "../audit/audit-event.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { RetentionScheduler } from "../audit/retention/retention-scheduler.ts";
import { JobLeaseRecords } from "../storage/database/job-lease-records.ts";
import { JobRunRecords } from "../storage/database/job-run-records.ts";
import { startSearchIndexer } from "../audit/search/start-search-indexer.ts";
import type { Logger } from "../observability/logger.ts";
import type { Runtime } from "../runtime.ts";
import { ALERT_EVALUATION_JOB, CHANGE_FEEDS_JOB, SINK_DELIVERY_JOB } from "./background-job-catalog.ts";
import { LeasedJob, type LeasedRound } from "./leased-job.ts";

/** How often ended sessions, old failed logins and old job history are deleted. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** How long the history of background jobs is kept. */
const JOB_HISTORY_MS = 30 * 86_400_000;

export interface BackgroundJobs {
  /** Stops the timers, waits for running work, and signs a last checkpoint. */
  stop(): Promise<void>;
}

/**
 * The server's timed work, in the one process that runs it (the single process of `serve`, or
 * the primary of several workers): checkpoint signing, the audit search indexer, the audit
 * retention purge, delivery to the audit sinks, the alert rules, composer upstreams' change
 * feeds, and the pruning of ended sessions. The purge, and each leased job, takes a database
 * lease, so that of several nodes on one database one runs it at a time.
 */
export function startBackgroundJobs(runtime: Runtime, logger: Logger): BackgroundJobs {
  const { checkpointer } = runtime.audit;
  const { config } = runtime;
  const trail = auditTrail(runtime.audit.log, systemContext);
  const leases = new JobLeaseRecords(runtime.database.db);
  const leased = (name: string, intervalMs: number, leaseMs: number, round: LeasedRound): LeasedJob =>
    new LeasedJob({ name, round, leases, clock: runtime.clock, logger, intervalMs, leaseMs });
  // A round's longest step is one delivery attempt (or notification), cut at the sink timeout.
  const attemptLeaseMs = 2 * config.audit.sinkTimeoutMs + 10_000;
  const retention = new RetentionScheduler({
    retention: runtime.auditRetention,
    trail,
    logger,
    intervalMs: config.audit.purgeIntervalMs,
    rawIps: runtime.audit.rawIps,
  });
  const sinkDelivery = leased(
    SINK_DELIVERY_JOB,
    config.audit.sinkPollMs,
    attemptLeaseMs,
    async (signal, stillMine) => {
      const tally = await runtime.sinkDispatcher.deliverDue(signal, stillMine);
      return tally.delivered + tally.failedAttempts + tally.parked === 0 ? null : { ...tally };
    },
  );
  const alerting = leased(ALERT_EVALUATION_JOB, config.alerts.pollMs, attemptLeaseMs, async (signal) => {
    const raised = await runtime.alertRunner.run(signal);
    return raised.length === 0 ? null : { raised: raised.length };
  });
  const changeFeeds = leased(CHANGE_FEEDS_JOB, config.proxy.changesIntervalMs, 30 * 60_000, async () => {
    const followed = await runtime.proxy.followChanges({ trail });
    for (const feed of followed) {
      if (feed.error === null) continue;
      logger.warn(
        { context: { repository: feed.repositoryName, error: feed.error } },
        "Following an upstream's change feed failed",
      );
    }
    if (followed.length === 0) return null;
    return {
      followed: followed.length,
      failed: followed.filter((feed) => feed.error !== null).length,
      packagesFetched: followed.reduce((sum, feed) => sum + (feed.counts?.packages.fetched ?? 0), 0),
    };
  });
  checkpointer.start();
  retention.start();
  sinkDelivery.start();
  alerting.start();
  changeFeeds.start();
  const indexer = startSearchIndexer({ database: runtime.config.database, db: runtime.database.db, logger });
  // Ended sessions and old failed logins: nothing reads them (every check looks at expiry and
  // at the last 10 minutes), they only take room. Job history older than 30 days neither.
  const jobRuns = new JobRunRecords(runtime.database.db);
  const pruning = setInterval(() => {
    runtime.sessions.pruneExpired().catch((error: unknown) => {
      logger.error({ error }, "Pruning ended sessions failed");
    });
    jobRuns.prune(new Date(runtime.clock.now().getTime() - JOB_HISTORY_MS)).catch((error: unknown) => {
      logger.error({ error }, "Pruning job history failed");
    });
  }, PRUNE_INTERVAL_MS);
  pruning.unref();
  return {
    stop: async () => {
      clearInterval(pruning);
      await indexer.stop();
      await sinkDelivery.stop();
      await alerting.stop();
      await changeFeeds.stop();
      await retention.stop();
      await runtime.audit.log.flush();
      await checkpointer.stop();
    },
  };
}
