import { systemContext } from "../audit/audit-event.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { RetentionScheduler } from "../audit/retention/retention-scheduler.ts";
import { JobLeaseRecords } from "../storage/database/job-lease-records.ts";
import { startSearchIndexer } from "../audit/search/start-search-indexer.ts";
import type { Logger } from "../observability/logger.ts";
import type { Runtime } from "../runtime.ts";
import { LeasedJob } from "./leased-job.ts";

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
 * retention purge, delivery to the audit sinks, the alert rules, composer upstreams' change feeds, and the pruning of ended sessions. The purge
 * also takes a database lease, so several nodes on one database purge one at a time.
 */
export function startBackgroundJobs(runtime: Runtime, logger: Logger): BackgroundJobs {
  const { checkpointer } = runtime.audit;
  const retention = new RetentionScheduler({
    retention: runtime.auditRetention,
    trail: auditTrail(runtime.audit.log, systemContext),
    logger,
    intervalMs: runtime.config.audit.purgeIntervalMs,
    rawIps: runtime.audit.rawIps,
  });
  const sinkDelivery = new LeasedJob({
    name: SINK_DELIVERY_JOB,
    round: (signal, stillMine) => runtime.sinkDispatcher.deliverDue(signal, stillMine),
    leases: new JobLeaseRecords(runtime.database.db),
    clock: runtime.clock,
    logger,
    intervalMs: runtime.config.audit.sinkPollMs,
    leaseMs: 2 * runtime.config.audit.sinkTimeoutMs + 10_000,
  });
  const alerting = new LeasedJob({
    name: ALERT_EVALUATION_JOB,
    round: async (signal) => {
      await runtime.alertRunner.run(signal);
    },
    leases: new JobLeaseRecords(runtime.database.db),
    clock: runtime.clock,
    logger,
    intervalMs: runtime.config.alerts.pollMs,
    leaseMs: 2 * runtime.config.audit.sinkTimeoutMs + 10_000,
  });
  const changeFeeds = new LeasedJob({
    name: CHANGE_FEEDS_JOB,
    round: async () => {
      const trail = auditTrail(runtime.audit.log, systemContext);
      for (const followed of await runtime.proxy.followChanges({ trail })) {
        if (followed.error === null) continue;
        logger.warn(
          { context: { repository: followed.repositoryName, error: followed.error } },
          "Following an upstream's change feed failed",
        );
      }
    },
    leases: new JobLeaseRecords(runtime.database.db),
    clock: runtime.clock,
    logger,
    intervalMs: runtime.config.proxy.changesIntervalMs,
    leaseMs: 30 * 60_000,
  });
  checkpointer.start();
  retention.start();
  sinkDelivery.start();
  alerting.start();
  if (runtime.config.proxy.changesIntervalMs > 0) changeFeeds.start();
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
