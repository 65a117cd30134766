import { serve, type ServerType } from "@hono/node-server";
import { loadConfig, type Config } from "../config/load-config.ts";
import { createLogger, type Logger } from "../observability/logger.ts";
import { logMigrationsApplied, logServerListening, logServerStopping } from "../observability/log-events.ts";
import { openRuntime, type Runtime } from "../runtime.ts";
import { createRuntimeApp } from "../runtime-app.ts";
import { recordConfiguration, recordSystemEvent } from "../audit/system-events.ts";
import type { CliIo } from "./cli-context.ts";

export interface RunningServer {
  readonly url: string;
  readonly runtime: Runtime;
  stop(): Promise<void>;
}

/** Opens the runtime and listens; resolves once the server accepts connections. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const runtime = await openRuntime(config, logger);
  if (runtime.migrations.applied.length > 0)
    logMigrationsApplied(logger, { applied: runtime.migrations.applied });
  const app = createRuntimeApp(runtime, logger);
  await recordConfiguration(runtime.audit, config);
  await runtime.audit.checkpointer.checkpointNow();
  runtime.audit.checkpointer.start();
  const server = await new Promise<ServerType>((resolve, reject) => {
    const created = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => {
      resolve(created);
    });
    created.once("error", reject);
  });
  const address = server.address();
  const port = address !== null && typeof address === "object" ? address.port : config.port;
  logServerListening(logger, {
    url: `http://${config.host}:${port}`,
    database: runtime.database.description,
  });
  await recordSystemEvent(runtime.audit, "started", {
    listen: `${config.host}:${port}`,
    base_url: config.baseUrl,
  });
  return {
    url: `http://127.0.0.1:${port}`,
    runtime,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      });
      await recordSystemEvent(runtime.audit, "stopped", {});
      await runtime.audit.log.flush();
      await runtime.audit.checkpointer.stop();
      await runtime.close();
    },
  };
}

/** `package-broker serve`: runs until SIGINT or SIGTERM, then drains and closes. */
export async function serveCommand(io: CliIo): Promise<number> {
  const config = loadConfig(io.env);
  const logger = createLogger({ level: config.logLevel });
  const running = await startServer(config, logger);
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => {
      resolve("SIGINT");
    });
    process.once("SIGTERM", () => {
      resolve("SIGTERM");
    });
  });
  logServerStopping(logger, { signal });
  await running.stop();
  logger.flush();
  return 0;
}
