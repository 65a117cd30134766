import cluster from "node:cluster";
import { systemClock } from "../clock/clock.ts";
import type { Config } from "../config/load-config.ts";
import { listenHttp } from "../http/listen-http.ts";
import { createLogger } from "../observability/logger.ts";
import { openRuntime } from "../runtime.ts";
import { createRuntimeApp } from "../runtime-app.ts";
import { stopSignal } from "../cli/stop-signal.ts";
import type { WorkerMessage } from "./cluster-messages.ts";
import { PrimaryLink } from "./primary-link.ts";

/**
 * A worker of `serve` (PB_WORKERS > 1): serves HTTP on the port the primary shares, until SIGTERM
 * or SIGINT, then answers its open requests, commits their audit events and exits. It commits in
 * the turns the primary hands out, records no `system` or `configuration` events and signs no
 * checkpoints: the primary does, once for the server. The primary migrated the database before
 * forking it.
 */
export async function serveWorker(config: Config): Promise<number> {
  const primary = new PrimaryLink(sendToPrimary);
  process.on("message", (message: unknown) => {
    primary.receive(message);
  });
  process.on("disconnect", () => {
    primary.disconnected();
  });
  try {
    const logger = createLogger({ level: config.logLevel, pid: true });
    const runtime = await openRuntime(config, logger, systemClock, {
      auditExclusive: primary.exclusive,
      remoteSigner: primary,
      auditCommitThread: true,
    });
    try {
      primary.answerMetricsWith(() => runtime.processMetrics.snapshot());
      const app = createRuntimeApp(runtime, logger, { processMetrics: primary.gatherMetrics });
      const listener = await listenHttp(app.fetch, { host: config.host, port: config.port });
      await stopSignal({ ignoreRepeats: true });
      await listener.close();
    } finally {
      await runtime.close();
    }
    await new Promise<void>((resolve) => {
      logger.flush(() => {
        resolve();
      });
    });
    return 0;
  } finally {
    // The IPC channel keeps a worker alive: closing it lets the process end, with the exit code
    // the command returns (or 1 with its error on stderr, when it failed to start).
    cluster.worker?.disconnect();
  }
}

function sendToPrimary(message: WorkerMessage): void {
  if (process.send === undefined || !process.connected) throw new Error("the primary process is gone");
  process.send(message);
}
