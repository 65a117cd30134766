import { systemContext } from "../audit/audit-event.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { RetentionScheduler } from "../audit/retention/retention-scheduler.ts";
import { SinkDeliveryScheduler } from "../audit/sinks/sink-delivery-scheduler.ts";
import { JobLeaseRecords } from "../storage/database/job-lease-records.ts";
import { startSearchIndexer } from "../audit/search/start-search-indexer.ts";
import type { Logger } from "../observability/logger.ts";
import type { Runtime } from "../runtime.ts";

/** How often ended sessions and old failed logins are deleted. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

export interface BackgroundJobs {
  /** Stops the timers, waits for running work, and signs a last checkpoint. */
  stop(): Promise<void>;
}

/**
 * The server's timed work, in the one process that runs it (the single process of `serve`, or
 * the primary of several workers): checkpoint signing, the audit search indexer, the audit
 * retention purge, delivery to the audit sinks, and the pruning of ended sessions. The purge
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
  const sinkDelivery = new SinkDeliveryScheduler({
    dispatcher: runtime.sinkDispatcher,
    leases: new JobLeaseRecords(runtime.database.db),
    clock: runtime.clock,
    logger,
    intervalMs: runtime.config.audit.sinkPollMs,
    leaseMs: 2 * runtime.config.audit.sinkTimeoutMs + 10_000,
  });
  checkpointer.start();
  retention.start();
  sinkDelivery.start();
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
      await retention.stop();
      await runtime.audit.log.flush();
      await checkpointer.stop();
    },
  };
}
