import { systemContext } from "../audit/audit-event.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { RetentionScheduler } from "../audit/retention/retention-scheduler.ts";
import { JobLeaseRecords } from "../storage/database/job-lease-records.ts";
import { startSearchIndexer } from "../audit/search/start-search-indexer.ts";
import type { Logger } from "../observability/logger.ts";
import type { Runtime } from "../runtime.ts";
import { LeasedJob, type LeasedRound } from "./leased-job.ts";

/** The lease of audit sink delivery: one process of one node delivers at a time, in seq order. */
const SINK_DELIVERY_JOB = "audit.sinks.delivery";
/** The lease of the alert rules: one process evaluates the stream, so each alert is raised once. */
const ALERT_EVALUATION_JOB = "audit.alerts.evaluation";
/** The lease of following composer upstreams' change feeds. */
const CHANGE_FEEDS_JOB = "proxy.change-feeds";

/** How often ended sessions and old failed logins are deleted. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

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
    (signal, stillMine) => runtime.sinkDispatcher.deliverDue(signal, stillMine),
  );
  const alerting = leased(ALERT_EVALUATION_JOB, config.alerts.pollMs, attemptLeaseMs, async (signal) => {
    await runtime.alertRunner.run(signal);
  });
  const changeFeeds = leased(CHANGE_FEEDS_JOB, config.proxy.changesIntervalMs, 30 * 60_000, async () => {
    for (const followed of await runtime.proxy.followChanges({ trail })) {
      if (followed.error === null) continue;
      logger.warn(
        { context: { repository: followed.repositoryName, error: followed.error } },
        "Following an upstream's change feed failed",
      );
    }
  });
  checkpointer.start();
  retention.start();
  sinkDelivery.start();
  alerting.start();
  changeFeeds.start();
  const indexer = startSearchIndexer({ database: runtime.config.database, db: runtime.database.db, logger });
  // Ended sessions and old failed logins: nothing reads them (every check looks at expiry and
  // at the last 10 minutes), they only take room.
  const pruning = setInterval(() => {
    runtime.sessions.pruneExpired().catch((error: unknown) => {
      logger.error({ error }, "Pruning ended sessions failed");
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
