import { recordConfiguration, recordSystemEvent, applySinksFile } from "../audit/system-events.ts";
import { offerFirstRunSetupLink } from "../cli/first-run-setup-link.ts";
import { stopSignal } from "../cli/stop-signal.ts";
import type { Config } from "../config/load-config.ts";
import { startBackgroundJobs, type BackgroundJobs } from "../jobs/start-background-jobs.ts";
import { createLogger } from "../observability/logger.ts";
import { logMigrationsApplied, logServerListening, logServerStopping } from "../observability/log-events.ts";
import { openRuntime } from "../runtime.ts";
import { systemClock } from "../clock/clock.ts";
import { answerWorker } from "./answer-worker.ts";
import { AuditTurns } from "./audit-turns.ts";
import { MetricsGathering } from "./metrics-gathering.ts";
import { WorkerSupervisor } from "./worker-supervisor.ts";

/**
 * The primary of `serve` with PB_WORKERS > 1. It answers no HTTP request itself: it migrates the
 * database (before any worker opens it), records the server's `configuration` and `system`
 * started/stopped events once, hands out the turns at committing audit events, signs every
 * checkpoint, and keeps PB_WORKERS workers running. SIGTERM or SIGINT drains the workers, then it
 * records `stopped`, signs a last checkpoint and exits. On a start without an admin, it alone
 * makes and prints the setup link (`print`: stdout).
 */
export async function servePrimary(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  print: (text: string) => void,
): Promise<number> {
  const logger = createLogger({ level: config.logLevel, pid: true });
  const turns = new AuditTurns();
  const runtime = await openRuntime(config, logger, systemClock, {
    auditExclusive: (commit) => turns.exclusive(commit),
    answersRequests: false,
  });
  const { checkpointer } = runtime.audit;
  // The gathering asks the supervisor's workers (declared below; asked only once they run).
  const metrics = new MetricsGathering({
    own: () => runtime.processMetrics.snapshot(),
    peers: () =>
      workers.connected().map(({ worker, send }) => ({
        worker,
        ask: (id: number) => {
          send({ pb: "metrics-collect", id });
        },
      })),
  });
  const workers = new WorkerSupervisor({
    count: config.workers,
    env,
    logger,
    onMessage: (worker, message, reply) => {
      answerWorker(worker, message, { turns, checkpointer, metrics, logger }, reply);
    },
    onExit: (worker) => {
      turns.forget(worker);
      metrics.forget(worker);
    },
  });
  let jobs: BackgroundJobs | undefined;
  try {
    if (runtime.migrations.applied.length > 0)
      logMigrationsApplied(logger, { applied: runtime.migrations.applied });
    await recordConfiguration(runtime.audit, config);
    await applySinksFile(runtime, logger);
    await checkpointer.checkpointNow();
    jobs = startBackgroundJobs(runtime, logger);
    const port = await workers.start();
    logServerListening(logger, {
      url: `http://${config.host}:${port}`,
      database: runtime.database.description,
    });
    await recordSystemEvent(runtime.audit, "started", {
      listen: `${config.host}:${port}`,
      base_url: config.baseUrl,
      workers: config.workers,
    });
    await offerFirstRunSetupLink(runtime, logger, print);
    const signal = await stopSignal({ ignoreRepeats: false });
    logServerStopping(logger, { signal });
    await workers.stop();
    await recordSystemEvent(runtime.audit, "stopped", {});
  } finally {
    // Also when a worker failed to start: the others are stopped, and what was appended is signed.
    await workers.stop();
    if (jobs === undefined) {
      await runtime.audit.log.flush();
      await checkpointer.stop();
    } else {
      await jobs.stop();
    }
    await runtime.close();
  }
  logger.flush();
  return 0;
}
