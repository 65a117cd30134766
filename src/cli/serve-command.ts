import cluster from "node:cluster";
import { recordConfiguration, recordSystemEvent, applySinksFile } from "../audit/system-events.ts";
import { systemClock } from "../clock/clock.ts";
import { servePrimary } from "../cluster/serve-primary.ts";
import { serveWorker } from "../cluster/serve-worker.ts";
import { loadConfig, type Config } from "../config/load-config.ts";
import { listenHttp } from "../http/listen-http.ts";
import { startBackgroundJobs } from "../jobs/start-background-jobs.ts";
import { createLogger, type Logger } from "../observability/logger.ts";
import { logMigrationsApplied, logServerListening, logServerStopping } from "../observability/log-events.ts";
import { openRuntime, type Runtime } from "../runtime.ts";
import { createRuntimeApp } from "../runtime-app.ts";
import type { CliIo } from "./cli-context.ts";
import { offerFirstRunSetupLink } from "./first-run-setup-link.ts";
import { stopSignal } from "./stop-signal.ts";

export interface RunningServer {
  readonly url: string;
  readonly runtime: Runtime;
  stop(): Promise<void>;
}

/**
 * Opens the runtime and listens in this process; resolves once the server accepts connections. If
 * anything fails on the way (the port is taken, the sinks file is invalid), what was started is
 * stopped again and the error thrown: nothing is left keeping the process alive.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const runtime = await openRuntime(config, logger, systemClock, { auditCommitThread: true });
  let jobs: ReturnType<typeof startBackgroundJobs> | undefined;
  try {
    if (runtime.migrations.applied.length > 0)
      logMigrationsApplied(logger, { applied: runtime.migrations.applied });
    const app = createRuntimeApp(runtime, logger);
    await recordConfiguration(runtime.audit, config);
    await applySinksFile(runtime, logger);
    await runtime.audit.checkpointer.checkpointNow();
    jobs = startBackgroundJobs(runtime, logger);
    const listener = await listenHttp(app.fetch, { host: config.host, port: config.port });
    logServerListening(logger, {
      url: `http://${config.host}:${listener.port}`,
      database: runtime.database.description,
    });
    await recordSystemEvent(runtime.audit, "started", {
      listen: `${config.host}:${listener.port}`,
      base_url: config.baseUrl,
      workers: 1,
    });
    const running = jobs;
    return {
      url: `http://127.0.0.1:${listener.port}`,
      runtime,
      stop: async () => {
        await listener.close();
        await recordSystemEvent(runtime.audit, "stopped", {});
        await running.stop();
        await runtime.close();
      },
    };
  } catch (error) {
    await jobs?.stop();
    await runtime.close();
    throw error;
  }
}

/**
 * `package-broker serve`: runs until SIGINT or SIGTERM, then drains and closes. With
 * PB_WORKERS > 1 this process becomes the primary and forks the workers, which run this same
 * command (node:cluster starts them with the same arguments) and take the worker's part.
 */
export async function serveCommand(io: CliIo): Promise<number> {
  const config = loadConfig(io.env);
  if (cluster.isWorker) return serveWorker(config);
  if (config.workers > 1) return servePrimary(config, io.env, io.stdout);
  const logger = createLogger({ level: config.logLevel });
  // Listened for from the start: a SIGTERM while the server starts stops it cleanly once started.
  const stopping = stopSignal({ ignoreRepeats: false });
  const running = await startServer(config, logger);
  await offerFirstRunSetupLink(running.runtime, logger, io.stdout);
  const signal = await stopping;
  logServerStopping(logger, { signal });
  await running.stop();
  logger.flush();
  return 0;
}
