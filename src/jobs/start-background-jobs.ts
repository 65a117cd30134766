import { systemContext } from "../audit/audit-event.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { RetentionScheduler } from "../audit/retention/retention-scheduler.ts";
import { startSearchIndexer } from "../audit/search/start-search-indexer.ts";
import type { Logger } from "../observability/logger.ts";
import type { Runtime } from "../runtime.ts";

export interface BackgroundJobs {
  /** Stops the timers, waits for running work, and signs a last checkpoint. */
  stop(): Promise<void>;
}

/**
 * The server's timed work, in the one process that runs it (the single process of `serve`, or
 * the primary of several workers): checkpoint signing, the audit search indexer and the audit
 * retention purge. The purge
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
  checkpointer.start();
  retention.start();
  const indexer = startSearchIndexer({ database: runtime.config.database, db: runtime.database.db, logger });
  return {
    stop: async () => {
      await indexer.stop();
      await retention.stop();
      await runtime.audit.log.flush();
      await checkpointer.stop();
    },
  };
}
